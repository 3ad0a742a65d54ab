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

export interface StoreBenchRow {
  scale: number;
  mongoDocs: number;
  mongoBytes: number;
  archiveBytes: number;
  backupMs: number;
  restoreMs: number;
  /** undefined when mongo-tools are not available */
  mongodumpMs: number | undefined;
  mongorestoreMs: number | undefined;
  backupRssMiB: number;
  restoreRssMiB: number;
  minioBytes: number;
  minioBackupMs: number;
  minioRssMiB: number;
}

/** One row per scale; each operation in its own process (peak RSS per operation). */
export async function benchStores(scales: number[], opts: { minio?: boolean } = {}): Promise<StoreBenchRow[]> {
  const base = servicesEnv();
  const out: StoreBenchRow[] = [];
  for (const scale of scales) {
    const root = mkdtempSync(join(base['BACKUP_ROOT'] ?? '/tmp', 'bench-'));
    try {
      const env = { ...base, BACKUP_ROOT: root, LOG_LEVEL: 'silent', BACKUP_SERVER_HOST: '' };
      const config = loadConfig(env);
      const seedStart = performance.now();
      const withMinio = opts.minio !== false;
      const seeded = await seedAll(config, { scale, seed: 11 }, withMinio ? ['mongo', 'minio'] : ['mongo']);
      process.stderr.write(`scale ${scale}: seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s\n`);
      const mongo = await mongoData(config);
      const minioBytes = Object.entries(seeded.minio ?? {}).filter(([k]) => k.endsWith('.bytes')).reduce((n, [, v]) => n + v, 0);
      const mb = await child(env, 'backup', 'mongo');
      const mr = await child(env, 'restore', 'mongo', mb.label);
      const mongodumpMs = await mongodump(config, root);
      const mongorestoreMs = mongodumpMs === undefined ? undefined : await mongorestore(config, root);
      const nb = withMinio ? await child(env, 'backup', 'minio') : { ms: Number.NaN, bytes: 0, maxRssKiB: Number.NaN, label: '' };
      out.push({
        scale,
        mongoDocs: mongo.docs,
        mongoBytes: mongo.bytes,
        archiveBytes: mb.bytes,
        backupMs: mb.ms,
        restoreMs: mr.ms,
        mongodumpMs,
        mongorestoreMs,
        backupRssMiB: mb.maxRssKiB / 1024,
        restoreRssMiB: mr.maxRssKiB / 1024,
        minioBytes,
        minioBackupMs: nb.ms,
        minioRssMiB: nb.maxRssKiB / 1024,
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  return out;
}

export function storesTable(rows: StoreBenchRow[]): string {
  const lines = rows.flatMap((r) => [
    `| ${r.scale} | mongo | ${r.mongoDocs} docs, ${(r.mongoBytes / 1e6).toFixed(1)} MB BSON → ${(r.archiveBytes / 1e6).toFixed(1)} MB archives | ${(r.backupMs / 1000).toFixed(1)} s (${mbps(r.mongoBytes, r.backupMs)} MB/s) | ${(r.restoreMs / 1000).toFixed(1)} s (${mbps(r.mongoBytes, r.restoreMs)} MB/s) | ${r.mongodumpMs !== undefined ? `mongodump ${(r.mongodumpMs / 1000).toFixed(1)} s → **ratio ${(r.mongodumpMs / r.backupMs).toFixed(2)}**; mongorestore ${((r.mongorestoreMs ?? 0) / 1000).toFixed(1)} s → ratio ${((r.mongorestoreMs ?? 0) / r.restoreMs).toFixed(2)}` : 'mongo-tools: not available'} | ${r.backupRssMiB.toFixed(0)} MiB (restore ${r.restoreRssMiB.toFixed(0)} MiB) |`,
    ...(Number.isNaN(r.minioBackupMs) ? [] : [`| ${r.scale} | minio | ${(r.minioBytes / 1e6).toFixed(1)} MB in objects | ${(r.minioBackupMs / 1000).toFixed(1)} s (${mbps(r.minioBytes, r.minioBackupMs)} MB/s) | | | ${r.minioRssMiB.toFixed(0)} MiB |`]),
  ]);
  return `| scale | store | data | backup | restore | reference (same run) | peak RSS |\n|---|---|---|---|---|---|---|\n${lines.join('\n')}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--scales');
  const scales = (i > 0 ? process.argv[i + 1] ?? '' : '2,8').split(',').map(Number);
  benchStores(scales).then(
    (rows) => {
      process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(rows)}\n` : storesTable(rows));
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
