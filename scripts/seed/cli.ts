/**
 * `npm run seed -- [--profile v1.8|v1.9|v2.0] [--scale N] [--seed S] [--stores a,b]`: fills the running
 * services with sample data shaped like that OpenCRVS version (default: the newest).
 * The local services' variables (.services/env) are read here, under the environment, so a
 * newcomer does not have to load them first; a variable set in the environment still wins.
 */
import { loadConfig } from '../../src/config.ts';
import { userMessage } from '../../src/errors.ts';
import { recordCount } from '../../src/stores/counts.ts';
import type { StoreName } from '../../src/stores/types.ts';
import { servicesEnv } from '../services/harness.ts';
import { OPENCRVS_VERSIONS, type OpencrvsVersion } from '../../src/profile/profiles.ts';
import { seedProfile } from './index.ts';

const UNIT: Record<StoreName, string> = { mongo: 'collections', postgres: 'tables', folders: 'folders', elasticsearch: 'indices', influxdb: 'measurements', minio: 'buckets' };

function localServicesEnv(): Record<string, string> {
  try {
    return servicesEnv();
  } catch {
    // No .services/env: the services are not up (the connection error below says which one).
    return {};
  }
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const get = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const scale = Number(get('scale') ?? '1');
  const seed = Number(get('seed') ?? '1');
  if (!Number.isFinite(scale) || scale <= 0) throw new Error('--scale must be a positive number');
  const profile = (get('profile') ?? OPENCRVS_VERSIONS[OPENCRVS_VERSIONS.length - 1]) as OpencrvsVersion;
  if (!OPENCRVS_VERSIONS.includes(profile)) throw new Error(`--profile must be one of ${OPENCRVS_VERSIONS.join(', ')}`);
  const config = loadConfig({ ...localServicesEnv(), ...process.env });
  const started = Date.now();
  const { counts } = await seedProfile(config, profile, { scale, seed }, get('stores')?.split(','));
  process.stdout.write(`OpenCRVS ${profile} sample deployment\n`);
  for (const [store, c] of Object.entries(counts) as Array<[StoreName, Record<string, number>]>) {
    const total = recordCount(store, c).toLocaleString('en');
    const parts = new Set(Object.keys(c).map((k) => (store === 'mongo' ? k : k.replace(/\.(objects|bytes|points|series)$/, ''))));
    process.stdout.write(`${store.padEnd(14)} ${total.padStart(9)} records in ${parts.size} ${parts.size === 1 ? UNIT[store].replace(/(ices|s)$/, (m) => (m === 'ices' ? 'ex' : '')) : UNIT[store]}\n`);
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
