/**
 * Reads of a set on the way to the first drop (not a test): the restore job's reading work before
 * its first destructive step, the way it was (the job's verify step, restoreSet's own
 * verification, then each adapter's own full check) against the way it is now (a cheap check
 * first, one full verification after the quiesce, the adapters checking identities and reading
 * only what the load plans with). Both in the same run, on one set of the seeded stores (MongoDB,
 * PostgreSQL, MinIO, a folder) of the services of `npm run services -- up`.
 *
 *   npx tsx bench/read-once.ts [--scale 1] [--repeat 3] [--json]
 *
 * The adapters' checks are the functions their restore ran (or runs) before the drop: MongoDB,
 * MinIO and the folders verify (archive read in full) then and an identity check plus MongoDB's
 * prelude now; PostgreSQL its TOC and sha256 then, its TOC now.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { sha256File } from '../src/backup/checksum.ts';
import type { BackupDeps } from '../src/backup/deps.ts';
import { unchangedSinceVerified } from '../src/backup/identity.ts';
import { prepareRestore } from '../src/backup/restore-set.ts';
import { runBackup } from '../src/backup/run-backup.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { readPrelude } from '../src/stores/mongo/prelude.ts';
import { createAdapters } from '../src/stores/registry.ts';
import type { Artifact, StoreContext, StoreName } from '../src/stores/types.ts';
import { servicesEnv } from '../scripts/services/harness.ts';
import { seedAll } from '../scripts/seed/index.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return (performance.now() - started) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

const scale = Number(arg('scale', '1'));
const repeat = Number(arg('repeat', '3'));
const json = process.argv.includes('--json');
const log = (line: string): void => void process.stderr.write(`${line}\n`);

const env = servicesEnv();
const root = mkdtempSync(join(env['BACKUP_ROOT'] ?? '/tmp', 'bench-read-once-'));
const folder = join(root, 'live-folder');
mkdirSync(folder, { recursive: true });
for (let i = 0; i < 50; i += 1) writeFileSync(join(folder, `export-${i}.csv`), `id,name\n${i},row ${i}\n`.repeat(200));
const config = loadConfig({
  ...env,
  LOG_LEVEL: 'silent',
  OPENCRVS_VERSION: 'v1.9',
  BACKUP_ROOT: join(root, 'backups'),
  BACKUP_STORES: 'mongo,postgres,minio,folders',
  POSTGRES_DATABASES: 'bench_read_once',
  BACKUP_FOLDERS: folder,
  BACKUP_SERVER_HOST: '',
});
const logger = createLogger('silent');
let fullReads = 0;
const deps: BackupDeps = { config, logger, adapters: createAdapters(config, logger), botVersion: 'bench', onFullRead: () => void (fullReads += 1) };
const ctx: StoreContext = { label: '', root: config.backupRoot, signal: new AbortController().signal, progress: () => undefined };

try {
  log(`seeding scale ${scale} and taking a set…`);
  await seedAll(config, { scale, seed: 5 }, ['mongo', 'postgres', 'minio']);
  const made = await runBackup(deps, { label: 'bench-read-once', requestedBy: 'bench' });
  if (!made.ok) throw new Error(`the backup failed: ${JSON.stringify(made.manifest.stores)}`);
  const label = made.manifest.label;
  const c = { ...ctx, label };
  const of = (store: StoreName): Artifact[] => made.manifest.artifacts.filter((a) => a.store === store) as Artifact[];
  const adapter = (store: StoreName) => {
    const a = deps.adapters.get(store);
    if (!a) throw new Error(`no ${store} adapter`);
    return a;
  };
  const files = made.manifest.artifacts.filter((a) => a.kind !== 'es-snapshot').length;
  const bytes = made.manifest.artifacts.reduce((n, a) => n + a.bytes, 0);

  /** Before: verify step, restoreSet's verification, then each adapter's own full check. */
  async function before(): Promise<number> {
    fullReads = 0;
    await prepareRestore(deps, label, {});
    await prepareRestore(deps, label, {});
    for (const store of ['mongo', 'minio', 'folders'] as const) {
      fullReads += of(store).length;
      await adapter(store).verify(of(store), c);
    }
    for (const a of of('postgres').filter((x) => x.path.endsWith('.dump'))) {
      fullReads += 1;
      await sha256File(join(config.backupRoot, a.path));
    }
    await adapter('postgres').verify(of('postgres'), c);
    return fullReads;
  }

  /** Now: cheap check, one full verification, the adapters' identity checks and planning reads. */
  async function now(): Promise<number> {
    fullReads = 0;
    await prepareRestore(deps, label, { quick: true });
    const prepared = await prepareRestore(deps, label, {});
    const verified = prepared.verified;
    if (!verified) throw new Error('no verification');
    for (const store of prepared.stores) await unchangedSinceVerified(config.backupRoot, verified, of(store));
    for (const a of of('mongo')) await readPrelude(join(config.backupRoot, a.path), a.counts, c.signal);
    await adapter('postgres').verify(of('postgres'), c);
    return fullReads;
  }

  const rows: Array<{ before_s: number; now_s: number }> = [];
  let readsBefore = 0;
  let readsNow = 0;
  for (let i = 0; i < repeat; i += 1) {
    // Alternated, so the page cache and the machine's load treat both alike.
    const b = await timed(async () => void (readsBefore = await before()));
    const n = await timed(async () => void (readsNow = await now()));
    rows.push({ before_s: b, now_s: n });
    log(`run ${i + 1}: before ${b.toFixed(2)} s, now ${n.toFixed(2)} s`);
  }
  const result = {
    name: `restore job: reading before the first drop, scale ${scale}`,
    ours_s: median(rows.map((r) => r.now_s)),
    reference_s: median(rows.map((r) => r.before_s)),
    ratio: median(rows.map((r) => r.before_s)) / median(rows.map((r) => r.now_s)),
    files,
    bytes,
    counted_full_reads: { before: readsBefore, now: readsNow },
    load: execFileSync('uptime', { encoding: 'utf8' }).trim(),
  };
  if (json) process.stdout.write(`${JSON.stringify([result])}\n`);
  else log(JSON.stringify(result, null, 2));
} finally {
  await Promise.allSettled([...deps.adapters.values()].map((a) => a.close()));
  rmSync(root, { recursive: true, force: true });
}
