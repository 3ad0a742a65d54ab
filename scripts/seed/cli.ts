/** `npm run seed -- [--scale N] [--seed S] [--stores a,b]`: fills the running services with sample data. */
import { loadConfig } from '../../src/config.ts';
import { userMessage } from '../../src/errors.ts';
import { seedAll } from './index.ts';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const get = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const scale = Number(get('scale') ?? '1');
  const seed = Number(get('seed') ?? '1');
  if (!Number.isFinite(scale) || scale <= 0) throw new Error('--scale must be a positive number');
  const config = loadConfig();
  const started = Date.now();
  const counts = await seedAll(config, { scale, seed }, get('stores')?.split(','));
  for (const [store, c] of Object.entries(counts)) {
    const total = Object.values(c).reduce((n, v) => n + v, 0);
    process.stdout.write(`${store.padEnd(14)} ${String(total).padStart(9)} records  (${Object.keys(c).length} collections/indices/measurements/buckets)\n`);
  }
  process.stdout.write(`seeded scale ${scale} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`seed: ${userMessage(err)}\n`);
    process.exit(1);
  },
);
