/**
 * The story the restore-to-a-moment tests share: a private cluster with the archiver running, the
 * nightly backup (with its base backup), then rows committed at known moments, and the archive
 * complete past them.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runBackup } from '../../src/backup/run-backup.ts';
import type { Config } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { createMonitor } from '../../src/pitr/monitor.ts';
import { startPitrService, type PitrService } from '../../src/pitr/service.ts';
import { currentStream, readProgress } from '../../src/pitr/wal.ts';
import { createRuntime } from '../../src/runtime.ts';
import type { PrivateCluster } from './cluster.ts';
import type { StoreName } from '../../src/stores/types.ts';

export async function until(what: string, ms: number, check: () => Promise<boolean>, pollMs = 500): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`waited ${Math.round(ms / 1000)} s for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export async function slotActive(cluster: PrivateCluster, slot: string): Promise<number | undefined> {
  const rows = await cluster.query<{ active_pid: number | null }>('postgres', 'SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1', [slot]);
  return rows[0]?.active_pid ?? undefined;
}

export interface Story {
  service: PitrService;
  /** Server times of the commits of rows 1 and 2. */
  t1: Date;
  t2: Date;
  /** A moment between them. */
  target: Date;
  label: string;
  manifestSha256: string;
}

/** Rows: id 1 committed at t1, id 2 about 2 s later; the archive complete past t2. */
export async function tellStory(cluster: PrivateCluster, config: Config, opts: { bulkRows?: number; stores?: StoreName[] } = {}): Promise<Story> {
  const logger = createLogger('silent');
  await cluster.query('postgres', 'CREATE DATABASE pitrdb');
  await cluster.query('pitrdb', 'CREATE SCHEMA app; CREATE TABLE app.rows (id int PRIMARY KEY, note text, at timestamptz DEFAULT clock_timestamp())');
  const service = startPitrService({ config, logger, notify: () => undefined, restartBaseMs: 200, sealMs: 3_600_000 });
  await until('the archiver to stream', 180_000, async () => (await slotActive(cluster, config.pitr.slot)) !== undefined);
  const rt = createRuntime(config, logger);
  const out = await runBackup(rt.deps, { stores: opts.stores ?? ['postgres'], requestedBy: 'test' });
  await rt.close();
  if (!out.ok) throw new Error(`the nightly backup failed: ${JSON.stringify(out.manifest.stores)}`);
  if (opts.bulkRows) {
    // WAL for the replay to chew on (the crash test kills it mid-way).
    await cluster.query('pitrdb', `CREATE TABLE app.bulk AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, ${opts.bulkRows}) g`);
  }
  const [r1] = await cluster.query<{ at: Date }>('pitrdb', "INSERT INTO app.rows (id, note) VALUES (1, 'before') RETURNING at");
  await new Promise((r) => setTimeout(r, 2000));
  const [r2] = await cluster.query<{ at: Date }>('pitrdb', "INSERT INTO app.rows (id, note) VALUES (2, 'after') RETURNING at");
  if (!r1 || !r2) throw new Error('inserts returned nothing');
  const target = new Date((r1.at.getTime() + r2.at.getTime()) / 2);
  await cluster.query('postgres', 'SELECT pg_switch_wal()');
  // The archive's complete point must pass the second commit (heartbeats until the slot confirms).
  const monitor = createMonitor({ config, logger, notify: () => undefined });
  await until('the archive to pass the second insert', 120_000, async () => {
    await monitor.tick();
    const p = await readProgress(config.backupRoot, await currentStream(config.backupRoot));
    return p?.completeAt !== undefined && new Date(p.completeAt) > r2.at;
  });
  await service.sealNow();
  const label = out.manifest.label;
  return { service, t1: r1.at, t2: r2.at, target, label, manifestSha256: out.manifestSha256 };
}

export async function sealedFiles(config: Config): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  const dir = join(config.backupRoot, 'postgres-wal', await currentStream(config.backupRoot));
  return (await readdir(dir)).filter((n) => n.endsWith('.sha256')).map((n) => n.slice(0, -7));
}

export async function postmasterPid(cluster: PrivateCluster): Promise<number> {
  return Number((await readFile(join(cluster.data, 'postmaster.pid'), 'utf8')).split('\n')[0]);
}
