/**
 * Store benchmark (not a test): MongoDB backup, verification and load against mongodump and
 * mongorestore, MinIO backup throughput, and the peak RSS of each operation at each scale (flat =
 * streaming). Runs against the services of `npm run services -- up` (.services/env).
 * mongodump/mongorestore (the harness's `mongo-tools`: ../shared/tools/mongo-tools, PATH, or
 * MONGODUMP_BIN / MONGORESTORE_BIN) are compared in the same run.
 *
 *   npx tsx bench/stores.ts [--scales 1,10] [--runs 3] [--no-restore] [--no-minio] [--heap-cap 64] [--no-node-flags] [--json]
 *
 * Each child runs with the bot's V8 flags (bin/node-flags.js) unless --no-node-flags; each reports
 * its peak RSS and, on stderr, what the memory was at that peak (bench/mem-sampler.ts).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MongoClient, type Document } from 'mongodb';
import { loadConfig, type Config } from '../src/config.ts';
import { servicesEnv } from '../scripts/services/harness.ts';
import { seedAll } from '../scripts/seed/index.ts';
import { mapLimit } from '../src/parallel.ts';
import { scanArchive } from '../src/stores/mongo/archive-scan.ts';
import type { MemSample } from './mem-sampler.ts';
import { MALLOC_SETTINGS, NODE_FLAGS } from '../bin/node-flags.js';

const run = promisify(execFile);
/** The V8 flags a bench child starts with: the bot's (bin/node-flags.js); none with CRVS_NODE_FLAGS=none (inherited: the child does not add them either). */
export const nodeFlags = (): string[] => (process.env['CRVS_NODE_FLAGS'] === 'none' ? [] : NODE_FLAGS);
/** The malloc settings a bench child starts with, as nodeFlags. */
export const mallocEnv = (): Record<string, string> => (process.env['CRVS_NODE_FLAGS'] === 'none' ? {} : MALLOC_SETTINGS);
const ROOT = join(import.meta.dirname, '..');

interface OpResult {
  ms: number;
  bytes: number;
  maxRssKiB: number;
  label: string;
  verifyMs?: number;
  phases?: Record<string, number>;
  insertMode?: string;
  /** The child's memory before the operation and at its highest sampled RSS (bench/mem-sampler.ts). */
  mem?: { start: MemSample; peak: MemSample; samples: number };
}

type Op = 'backup' | 'verify' | 'restore' | 'mongo-load';

/** Set by --heap-cap: each operation runs with V8's old space capped (shows the live memory is bounded). */
let heapCapMiB: number | undefined;

async function child(env: Record<string, string>, op: Op, stores: string, label?: string): Promise<OpResult> {
  const args = [...nodeFlags(), ...(heapCapMiB ? [`--max-old-space-size=${heapCapMiB}`] : []), '--import', 'tsx', join(ROOT, 'bench', 'child-store-op.ts'), op, stores, ...(label ? [label] : [])];
  const { stdout } = await run(process.execPath, args, { env: { ...mallocEnv(), ...process.env, ...env }, maxBuffer: 1 << 20, timeout: 3_600_000 });
  const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as OpResult;
  if (result.mem) process.stderr.write(`  ${op} ${stores}: ${memLine(result.maxRssKiB, result.mem)}\n`);
  return result;
}

/** The split of the peak RSS, in MiB: what grew between scales. */
export function memLine(maxRssKiB: number, mem: { start: MemSample; peak: MemSample }): string {
  const m = (kib: number | undefined): string => (kib === undefined ? '?' : (kib / 1024).toFixed(0));
  const p = mem.peak;
  return `maxRSS ${m(maxRssKiB)} | sampled peak ${m(p.rss)} at ${p.atMs} ms (anon ${m(p.rssAnon)}, file ${m(p.rssFile)}; V8 heap ${m(p.heapTotal)}: new ${m(p.spaces['new_space'])}, old ${m(p.spaces['old_space'])}, code ${m(p.spaces['code_space'])}, large ${m(p.spaces['large_object_space'])}; used ${m(p.heapUsed)}; external ${m(p.external)}, arrayBuffers ${m(p.arrayBuffers)}) | start ${m(mem.start.rss)} (anon ${m(mem.start.rssAnon)}, heap ${m(mem.start.heapTotal)})`;
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

function tool(name: 'MONGODUMP_BIN' | 'MONGORESTORE_BIN'): string | undefined {
  return process.env[name] ?? servicesEnv()[name];
}

async function mongodump(config: Config, dir: string): Promise<number | undefined> {
  const bin = tool('MONGODUMP_BIN');
  if (!bin) return undefined;
  const started = performance.now();
  for (const db of config.mongo.databases) {
    await run(bin, [`--uri=${config.mongo.url}`, `--db=${db}`, '--gzip', `--archive=${join(dir, `${db}.gz`)}`, '--quiet'], { timeout: 3_600_000 });
  }
  return performance.now() - started;
}

/**
 * mongorestore of mongodump's archives, one database after the other as OpenCRVS's restore script
 * runs it (`parallel`: two at once, as the bot loads them), indexes included unless `noIndexes`.
 */
async function mongorestore(config: Config, dir: string, opts: { parallel?: number; noIndexes?: boolean } = {}): Promise<number | undefined> {
  const bin = tool('MONGORESTORE_BIN');
  if (!bin) return undefined;
  const started = performance.now();
  await mapLimit(config.mongo.databases, opts.parallel ?? 1, async (db) => {
    const args = [`--uri=${config.mongo.url}`, '--drop', '--gzip', `--archive=${join(dir, `${db}.gz`)}`, ...(opts.noIndexes ? ['--noIndexRestore'] : [])];
    await run(bin, args, { timeout: 3_600_000, maxBuffer: 64 << 20 });
  });
  return performance.now() - started;
}

/**
 * The index build mongorestore would have done after its --noIndexRestore load: the same
 * createIndexes per collection, specs from mongodump's archives (read before the clock starts),
 * one database after the other. Used as the reference's index step where mongorestore cannot send
 * its own (FerretDB refuses the `ns` field it adds).
 */
async function referenceIndexBuild(config: Config, dir: string): Promise<() => Promise<number>> {
  const plan: Array<{ db: string; collection: string; specs: Document[] }> = [];
  for (const db of config.mongo.databases) {
    const summary = await scanArchive(join(dir, `${db}.gz`));
    for (const c of summary.collections) {
      const specs = c.info.indexes.filter((i) => i['name'] !== '_id_').map(({ v: _v, ns: _ns, ...spec }) => spec);
      if (c.info.type === 'collection' && specs.length > 0) plan.push({ db: c.db, collection: c.collection, specs });
    }
  }
  return async () => {
    const client = new MongoClient(config.mongo.url);
    const started = performance.now();
    try {
      await client.connect();
      for (const p of plan) await client.db(p.db).command({ createIndexes: p.collection, indexes: p.specs });
    } finally {
      await client.close();
    }
    return performance.now() - started;
  };
}

const mbps = (bytes: number, ms: number): string => ((bytes / 1e6) / (ms / 1000)).toFixed(1);

/** Median of the runs' values (NaN when there are none). */
function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

export interface StoreBenchRow {
  scale: number;
  runs: number;
  mongoDocs: number;
  mongoBytes: number;
  archiveBytes: number;
  backupMs: number;
  /** verifySet: sizes, sha256 and a full parse of every archive (what a restore runs before the first drop). */
  verifyMs: number;
  /** The MongoDB load alone (drop, create, insert, indexes, counts), as the adapter does it. */
  loadMs: number;
  /** The adapter's own full read of the archives before its load (one more verification pass). */
  loadVerifyMs: number;
  /** Each step of the load, summed over archives (two load at once), medians. */
  loadPhases: Record<string, number>;
  insertMode: string;
  /** A whole restore as the CLI runs it: verifySet, then the adapter (its read, then the load). */
  restoreMs: number;
  /** undefined when mongo-tools are not available */
  mongodumpMs: number | undefined;
  /** mongorestore with index restore, one database after the other (OpenCRVS's script). */
  mongorestoreMs: number | undefined;
  /** The same, two databases at once (as the bot loads them). */
  mongorestoreParallelMs: number | undefined;
  /** mongorestore --noIndexRestore, one database after the other (the reference of earlier runs). */
  mongorestoreNoIndexMs: number | undefined;
  /** mongorestore --noIndexRestore followed by the same index build (referenceIndexBuild): like for like where mongorestore cannot build them. */
  mongorestorePlusIndexesMs: number | undefined;
  /** Median of the runs' ratios reference / load, the reference restoring indexes (mongorestore's own, or --noIndexRestore + the same build). */
  ratioLikeForLike: number;
  /** Median of the runs' ratios mongorestore --noIndexRestore / load (the load still builds its indexes). */
  ratioNoIndexRestore: number;
  /** Why mongorestore could not restore indexes, when it could not. */
  mongorestoreIndexError: string | undefined;
  backupRssMiB: number;
  verifyRssMiB: number;
  loadRssMiB: number;
  restoreRssMiB: number;
  minioBytes: number;
  minioBackupMs: number;
  minioRssMiB: number;
  /** Load average (1 min) at the start and end of this scale's runs. */
  load: [number, number];
  /** Each run's memory at the peak, per operation (bench/mem-sampler.ts). */
  memory: Record<string, Array<{ start: MemSample; peak: MemSample } | undefined>>;
}

interface RunFigures {
  backup: OpResult;
  verify: OpResult;
  load: OpResult;
  restore: OpResult | undefined;
  mongodumpMs: number | undefined;
  mongorestoreMs: number | undefined;
  mongorestoreParallelMs: number | undefined;
  mongorestoreNoIndexMs: number | undefined;
  indexBuildMs: number | undefined;
  minio: OpResult | undefined;
}

/**
 * One row per scale (medians of `runs` runs); each operation in its own process (peak RSS per
 * operation). `restore: false` skips the whole-restore measurement (the load and the verification
 * are measured apart in any case).
 */
export async function benchStores(scales: number[], opts: { minio?: boolean; runs?: number; restore?: boolean; heapCapMiB?: number } = {}): Promise<StoreBenchRow[]> {
  const base = servicesEnv();
  heapCapMiB = opts.heapCapMiB;
  const out: StoreBenchRow[] = [];
  const runs = opts.runs ?? 1;
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
      const loadBefore = loadavg()[0] ?? Number.NaN;
      const figures: RunFigures[] = [];
      let indexError: string | undefined;
      for (let i = 0; i < runs; i++) {
        const backup = await child(env, 'backup', 'mongo');
        const verify = await child(env, 'verify', 'mongo', backup.label);
        const load = await child(env, 'mongo-load', 'mongo', backup.label);
        const restore = opts.restore === false ? undefined : await child(env, 'restore', 'mongo', backup.label);
        const mongodumpMs = await mongodump(config, root);
        let mongorestoreMs: number | undefined;
        let mongorestoreParallelMs: number | undefined;
        if (mongodumpMs !== undefined && indexError === undefined) {
          try {
            mongorestoreMs = await mongorestore(config, root);
            mongorestoreParallelMs = await mongorestore(config, root, { parallel: 2 });
          } catch (err) {
            const stderr = String((err as { stderr?: string }).stderr ?? '');
            indexError = /Failed: (.*)/.exec(stderr)?.[1] ?? (err as Error).message;
          }
        }
        let mongorestoreNoIndexMs: number | undefined;
        let indexBuildMs: number | undefined;
        if (mongodumpMs !== undefined) {
          const build = await referenceIndexBuild(config, root);
          mongorestoreNoIndexMs = await mongorestore(config, root, { noIndexes: true });
          indexBuildMs = await build();
        }
        const minio = withMinio ? await child(env, 'backup', 'minio') : undefined;
        figures.push({ backup, verify, load, restore, mongodumpMs, mongorestoreMs, mongorestoreParallelMs, mongorestoreNoIndexMs, indexBuildMs, minio });
        process.stderr.write(`scale ${scale}, run ${i + 1}/${runs}: load ${(load.ms / 1000).toFixed(2)} s, mongorestore ${((mongorestoreMs ?? Number.NaN) / 1000).toFixed(2)} s (2 at once ${((mongorestoreParallelMs ?? Number.NaN) / 1000).toFixed(2)} s, no indexes ${((mongorestoreNoIndexMs ?? Number.NaN) / 1000).toFixed(2)} s + index build ${((indexBuildMs ?? Number.NaN) / 1000).toFixed(2)} s)\n`);
      }
      const m = (pick: (f: RunFigures) => number | undefined): number => median(figures.map((f) => pick(f) ?? Number.NaN));
      const ref = (pick: (f: RunFigures) => number | undefined): number | undefined => {
        const v = m(pick);
        return Number.isFinite(v) ? v : undefined;
      };
      const phaseNames = [...new Set(figures.flatMap((f) => Object.keys(f.load.phases ?? {})))];
      out.push({
        scale,
        runs,
        mongoDocs: mongo.docs,
        mongoBytes: mongo.bytes,
        archiveBytes: m((f) => f.backup.bytes),
        backupMs: m((f) => f.backup.ms),
        verifyMs: m((f) => f.verify.ms),
        loadMs: m((f) => f.load.ms),
        loadVerifyMs: m((f) => f.load.verifyMs),
        loadPhases: Object.fromEntries(phaseNames.map((p) => [p, m((f) => f.load.phases?.[p])])),
        insertMode: figures[0]?.load.insertMode ?? 'unknown',
        restoreMs: m((f) => f.restore?.ms),
        mongodumpMs: ref((f) => f.mongodumpMs),
        mongorestoreMs: ref((f) => f.mongorestoreMs),
        mongorestoreParallelMs: ref((f) => f.mongorestoreParallelMs),
        mongorestoreNoIndexMs: ref((f) => f.mongorestoreNoIndexMs),
        mongorestorePlusIndexesMs: ref((f) => (f.mongorestoreNoIndexMs === undefined || f.indexBuildMs === undefined ? undefined : f.mongorestoreNoIndexMs + f.indexBuildMs)),
        mongorestoreIndexError: indexError,
        // Ratios of each run (ours and the reference measured minutes apart, under the same load), then the median.
        ratioLikeForLike: m((f) => {
          const reference = f.mongorestoreMs ?? (f.mongorestoreNoIndexMs === undefined || f.indexBuildMs === undefined ? undefined : f.mongorestoreNoIndexMs + f.indexBuildMs);
          return reference === undefined ? undefined : reference / f.load.ms;
        }),
        ratioNoIndexRestore: m((f) => (f.mongorestoreNoIndexMs === undefined ? undefined : f.mongorestoreNoIndexMs / f.load.ms)),
        backupRssMiB: m((f) => f.backup.maxRssKiB) / 1024,
        verifyRssMiB: m((f) => f.verify.maxRssKiB) / 1024,
        loadRssMiB: m((f) => f.load.maxRssKiB) / 1024,
        restoreRssMiB: m((f) => f.restore?.maxRssKiB) / 1024,
        minioBytes,
        minioBackupMs: m((f) => f.minio?.ms),
        minioRssMiB: m((f) => f.minio?.maxRssKiB) / 1024,
        load: [loadBefore, loadavg()[0] ?? Number.NaN],
        memory: {
          backup: figures.map((f) => f.backup.mem),
          verify: figures.map((f) => f.verify.mem),
          load: figures.map((f) => f.load.mem),
          restore: figures.map((f) => f.restore?.mem),
          minio: figures.map((f) => f.minio?.mem),
        },
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  return out;
}

const s = (ms: number | undefined): string => (ms === undefined || !Number.isFinite(ms) ? '—' : `${(ms / 1000).toFixed(2)} s`);
const ratio = (reference: number | undefined, ours: number): string =>
  reference === undefined || !Number.isFinite(ours) ? '—' : `**${(reference / ours).toFixed(2)}**`;
const mib = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(0)} MiB` : '—');

/** Throughput, load against mongorestore (like for like), and peak RSS per operation. */
export function storesTable(rows: StoreBenchRow[]): string {
  const speed = rows.map((r) => {
    const phases = Object.entries(r.loadPhases).map(([p, ms]) => `${p} ${(ms / 1000).toFixed(2)}`).join(', ');
    return `| ${r.scale} | ${r.mongoDocs} docs, ${(r.mongoBytes / 1e6).toFixed(1)} MB BSON → ${(r.archiveBytes / 1e6).toFixed(1)} MB archives | ${s(r.backupMs)} (${mbps(r.mongoBytes, r.backupMs)} MB/s) | ${s(r.mongodumpMs)} → ${ratio(r.mongodumpMs, r.backupMs)} | ${s(r.loadMs)} (${mbps(r.mongoBytes, r.loadMs)} MB/s; ${phases}) | ${r.mongorestoreIndexError === undefined ? `${s(r.mongorestoreMs)} → **${r.ratioLikeForLike.toFixed(2)}**; 2 at once ${s(r.mongorestoreParallelMs)} → ${ratio(r.mongorestoreParallelMs, r.loadMs)}` : `refused (${r.mongorestoreIndexError}); --noIndexRestore + the same index build: ${s(r.mongorestorePlusIndexesMs)} → **${r.ratioLikeForLike.toFixed(2)}**`} | ${s(r.mongorestoreNoIndexMs)} → **${r.ratioNoIndexRestore.toFixed(2)}** | ${s(r.verifyMs)} | ${s(r.restoreMs)} |`;
  });
  const memory = rows.flatMap((r) => [
    `| ${r.scale} | mongo | ${mib(r.backupRssMiB)} | ${mib(r.verifyRssMiB)} | ${mib(r.loadRssMiB)} | ${mib(r.restoreRssMiB)} |`,
    ...(Number.isNaN(r.minioBackupMs) ? [] : [`| ${r.scale} | minio (${(r.minioBytes / 1e6).toFixed(0)} MB in objects, backup ${s(r.minioBackupMs)}, ${mbps(r.minioBytes, r.minioBackupMs)} MB/s) | ${mib(r.minioRssMiB)} | | | |`]),
  ]);
  const runs = rows[0]?.runs ?? 1;
  const loads = rows.map((r) => `scale ${r.scale}: ${r.load.map((l) => l.toFixed(2)).join(' → ')}`).join('; ');
  return [
    `MongoDB (${runs === 1 ? 'one run' : `medians of ${runs} runs`}; load average ${loads}; insert mode: ${rows[0]?.insertMode ?? '?'}; node flags: ${nodeFlags().join(' ') || 'none'}${heapCapMiB ? `; every operation with --max-old-space-size=${heapCapMiB}` : ''}). *load* = drop, create, insert, indexes and count check, as the adapter does it (two archives at once); the verification passes are the next columns. Times are medians; each ratio is the median of the runs' own ratios.`,
    '',
    '| scale | data | backup | mongodump → ratio | load (steps summed over archives) | mongorestore with indexes → ratio | mongorestore --noIndexRestore → ratio (ours still building indexes) | verifySet | whole restore (verifySet + adapter read + load) |',
    '|---|---|---|---|---|---|---|---|---|',
    ...speed,
    '',
    'Peak RSS per operation (each in its own process):',
    '',
    '| scale | store | backup | verify | load (with its read) | whole restore |',
    '|---|---|---|---|---|---|',
    ...memory,
    '',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--scales');
  const scales = (i > 0 ? process.argv[i + 1] ?? '' : '1,10').split(',').map(Number);
  const r = process.argv.indexOf('--runs');
  const runs = r > 0 ? Number(process.argv[r + 1] ?? 1) : 1;
  if (process.argv.includes('--no-node-flags')) process.env['CRVS_NODE_FLAGS'] = 'none';
  const h = process.argv.indexOf('--heap-cap');
  const heapCap = h > 0 ? Number(process.argv[h + 1]) : undefined;
  benchStores(scales, { runs, restore: !process.argv.includes('--no-restore'), minio: !process.argv.includes('--no-minio'), ...(heapCap ? { heapCapMiB: heapCap } : {}) }).then(
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
