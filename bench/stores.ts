/**
 * Store benchmark (not a test): MongoDB backup/restore throughput, MinIO backup throughput and
 * the peak RSS of a backup at two scales (flat = streaming). Runs against the services of
 * `npm run services -- up` (.services/env). mongodump/mongorestore (the harness's `mongo-tools`:
 * ../shared/tools/mongo-tools, PATH, or MONGODUMP_BIN / MONGORESTORE_BIN) are compared in the same run.
 *
 *   npx tsx bench/stores.ts [--scales 2,8]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import { loadConfig, type Config } from '../src/config.ts';
import { servicesEnv } from '../scripts/services/harness.ts';
import { seedAll } from '../scripts/seed/index.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');

interface OpResult {
  ms: number;
  bytes: number;
  maxRssKiB: number;
  label: string;
}

async function child(env: Record<string, string>, op: 'backup' | 'restore', stores: string, label?: string): Promise<OpResult> {
  const args = ['--import', 'tsx', join(ROOT, 'bench', 'child-store-op.ts'), op, stores, ...(label ? [label] : [])];
  const { stdout } = await run(process.execPath, args, { env: { ...process.env, ...env }, maxBuffer: 1 << 20, timeout: 3_600_000 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as OpResult;
}

/** Documents in the configured databases, and their BSON size (what a dump must move). */
async function mongoData(config: Config): Promise<{ docs: number; bytes: number }> {
  const client = new MongoClient(config.mongo.url);
  await client.connect();
  let docs = 0;
  let bytes = 0;
  try {
    for (const name of config.mongo.databases) {
      const db = client.db(name);
      for (const c of await db.listCollections({}, { nameOnly: true }).toArray()) {
        for await (const raw of db.collection(c.name).find({}, { raw: true })) {
          docs++;
          bytes += (raw as unknown as Buffer).length;
        }
      }
    }
  } finally {
    await client.close();
  }
  return { docs, bytes };
}

async function mongodump(config: Config, dir: string): Promise<number | undefined> {
  const bin = process.env['MONGODUMP_BIN'] ?? servicesEnv()['MONGODUMP_BIN'];
  if (!bin) return undefined;
  const started = performance.now();
  for (const db of config.mongo.databases) {
    await run(bin, [`--uri=${config.mongo.url}`, `--db=${db}`, '--gzip', `--archive=${join(dir, `${db}.gz`)}`, '--quiet'], { timeout: 3_600_000 });
  }
  return performance.now() - started;
}

/** mongorestore of mongodump's archives; --noIndexRestore because FerretDB refuses the `ns` field it sends. */
async function mongorestore(config: Config, dir: string): Promise<number | undefined> {
  const bin = process.env['MONGORESTORE_BIN'] ?? servicesEnv()['MONGORESTORE_BIN'];
  if (!bin) return undefined;
  const started = performance.now();
  for (const db of config.mongo.databases) {
    await run(bin, [`--uri=${config.mongo.url}`, '--drop', '--noIndexRestore', '--gzip', `--archive=${join(dir, `${db}.gz`)}`, '--quiet'], { timeout: 3_600_000 });
  }
  return performance.now() - started;
}

const mbps = (bytes: number, ms: number): string => ((bytes / 1e6) / (ms / 1000)).toFixed(1);

async function main(): Promise<void> {
  const i = process.argv.indexOf('--scales');
  const scales = (i > 0 ? process.argv[i + 1] ?? '' : '2,8').split(',').map(Number);
  const base = servicesEnv();
  const rows: string[] = [];
  for (const scale of scales) {
    const root = mkdtempSync(join(base['BACKUP_ROOT'] ?? '/tmp', 'bench-'));
    const env = { ...base, BACKUP_ROOT: root, LOG_LEVEL: 'silent', BACKUP_SERVER_HOST: '' };
    const config = loadConfig(env);
    const seedStart = performance.now();
    const seeded = await seedAll(config, { scale, seed: 11 }, ['mongo', 'minio']);
    const seedMs = performance.now() - seedStart;
    const mongo = await mongoData(config);
    const mongoBytes = mongo.bytes;
    const minioBytes = Object.entries(seeded.minio ?? {}).filter(([k]) => k.endsWith('.bytes')).reduce((n, [, v]) => n + v, 0);
    const mb = await child(env, 'backup', 'mongo');
    const mr = await child(env, 'restore', 'mongo', mb.label);
    const dumpMs = await mongodump(config, root);
    const restoreMs = dumpMs === undefined ? undefined : await mongorestore(config, root);
    const nb = await child(env, 'backup', 'minio');
    rows.push(
      `| ${scale} | mongo | ${mongo.docs} docs, ${(mongoBytes / 1e6).toFixed(1)} MB BSON → ${(mb.bytes / 1e6).toFixed(1)} MB archives | backup ${(mb.ms / 1000).toFixed(1)} s (${mbps(mongoBytes, mb.ms)} MB/s) | restore ${(mr.ms / 1000).toFixed(1)} s (${mbps(mongoBytes, mr.ms)} MB/s) | ${dumpMs ? `mongodump ${(dumpMs / 1000).toFixed(1)} s (backup ratio ${(dumpMs / mb.ms).toFixed(2)}); mongorestore ${((restoreMs ?? 0) / 1000).toFixed(1)} s (restore ratio ${((restoreMs ?? 0) / mr.ms).toFixed(2)})` : 'mongo-tools: not available'} | peak RSS ${(mb.maxRssKiB / 1024).toFixed(0)} MiB (restore ${(mr.maxRssKiB / 1024).toFixed(0)} MiB) |`,
      `| ${scale} | minio | ${(minioBytes / 1e6).toFixed(1)} MB in objects | backup ${(nb.ms / 1000).toFixed(1)} s (${mbps(minioBytes, nb.ms)} MB/s) | | | peak RSS ${(nb.maxRssKiB / 1024).toFixed(0)} MiB |`,
    );
    process.stderr.write(`scale ${scale}: seeded in ${(seedMs / 1000).toFixed(1)} s\n`);
    rmSync(root, { recursive: true, force: true });
  }
  process.stdout.write(`| scale | store | data | backup | restore | reference | memory |\n|---|---|---|---|---|---|---|\n${rows.join('\n')}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
