/**
 * The base backup of point-in-time recovery, taken with the nightly PostgreSQL backup:
 * `pg_basebackup -Fp -X stream` (a plain copy that is consistent on its own), checked with
 * `pg_verifybackup` (every file against the backup's own manifest, and its WAL), then packed into
 * one tar file `postgres/base-<label>.tar` — an artifact of the set like any other: in its manifest
 * with its sha256, copied offsite and pruned with the set.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256File } from '../backup/checksum.ts';
import type { Config } from '../config.ts';
import { ExecError, StoreError } from '../errors.ts';
import { createExecutor, type Executor } from '../exec/index.ts';
import type { Artifact } from '../stores/types.ts';
import { withServer } from './server.ts';
import { currentStream, parseLsn, segmentOf } from './wal.ts';

export const BASE_FORMAT = 'pg_basebackup';

export function baseBackupPath(label: string): string {
  return `postgres/base-${label}.tar`;
}

function tool(config: Config, name: string): string {
  return config.postgres.binDir ? join(config.postgres.binDir, name) : name;
}

interface WalRange {
  timeline: number;
  startLsn: string;
  endLsn: string;
}

/** The WAL range of a plain base backup, from its backup_manifest (JSON). */
async function walRange(dir: string): Promise<WalRange> {
  const raw = JSON.parse(await readFile(join(dir, 'backup_manifest'), 'utf8')) as { 'WAL-Ranges'?: Array<{ Timeline?: number; 'Start-LSN'?: string; 'End-LSN'?: string }> };
  const r = raw['WAL-Ranges']?.[0];
  if (!r || typeof r.Timeline !== 'number' || !r['Start-LSN'] || !r['End-LSN']) throw new StoreError('postgres', 'the base backup has no WAL range in its backup_manifest');
  return { timeline: r.Timeline, startLsn: r['Start-LSN'], endLsn: r['End-LSN'] };
}

/** Takes, verifies and packs the base backup of set `label` under `root`. */
export async function takeBaseBackup(config: Config, root: string, label: string, signal: AbortSignal, executor?: Executor): Promise<Artifact> {
  const exec = executor ?? createExecutor({ kind: 'local' });
  const started = Date.now();
  const path = baseBackupPath(label);
  const work = join(root, 'postgres', `.base-${label}`);
  const p = config.postgres;
  const env: Record<string, string> = { PGHOST: p.host, PGPORT: String(p.port), PGUSER: config.pitr.replicationUser, PGAPPNAME: 'crvs-backup-base', PGCONNECT_TIMEOUT: String(Math.max(1, Math.round(config.connectTimeoutMs / 1000))) };
  if (config.pitr.replicationPassword !== undefined) env['PGPASSWORD'] = config.pitr.replicationPassword;
  const opts = { timeoutMs: config.storeTimeoutMs, signal };
  await rm(work, { recursive: true, force: true });
  await mkdir(join(root, 'postgres'), { recursive: true });
  // The stream the archiver writes now: WAL after this backup is found there.
  const stream = await currentStream(config.backupRoot);
  const segmentBytes = await withServer(config, async (c) => Number((await c.query<{ s: string }>("SELECT setting AS s FROM pg_settings WHERE name = 'wal_segment_size'")).rows[0]?.s ?? 16 * 1024 * 1024));
  try {
    try {
      await exec.run([tool(config, 'pg_basebackup'), '-D', work, '-Fp', '-X', 'stream', '-c', 'fast', '--no-password', `--label=crvs-backup ${label}`], { ...opts, env });
    } catch (err) {
      if (err instanceof ExecError) throw new StoreError('postgres', `pg_basebackup failed: ${err.stderr.trim().split('\n').slice(-2).join(' ')}`, { cause: err });
      throw err;
    }
    const finishedAt = new Date();
    try {
      await exec.run([tool(config, 'pg_verifybackup'), '--quiet', work], opts);
    } catch (err) {
      if (err instanceof ExecError) throw new StoreError('postgres', `pg_verifybackup found the base backup damaged: ${err.stderr.trim().split('\n').slice(0, 3).join(' ')}`, { cause: err });
      throw err;
    }
    const range = await walRange(work);
    await exec.run(['tar', '-C', work, '-cf', join(root, path), '.'], opts);
    const { sha256, bytes } = await sha256File(join(root, path));
    return {
      store: 'postgres',
      path,
      kind: 'file',
      bytes,
      sha256,
      counts: {},
      durationMs: Date.now() - started,
      meta: {
        format: BASE_FORMAT,
        timeline: range.timeline,
        startLsn: range.startLsn,
        endLsn: range.endLsn,
        startSegment: segmentOf(range.timeline, parseLsn(range.startLsn), segmentBytes),
        walSegmentBytes: segmentBytes,
        /** Consistent from here on: the earliest moment this backup can be restored to. */
        consistentAt: finishedAt.toISOString(),
        stream,
      },
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
