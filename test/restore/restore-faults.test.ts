/**
 * The restore job under faults, on real servers (a PRIVATE redis-server, the harness's MongoDB),
 * redeploy off: the operations lock lost right before the first drop (nothing dropped, the thread
 * says so, the job waits in its queue and resumes under a new lock); a safety backup found after a
 * crash is verified before it is trusted; a refused restore stays refused when it is delivered again.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRestoreProcessor } from '../../jobs/restore.ts';
import type { BackupDeps } from '../../src/backup/deps.ts';
import { readManifest } from '../../src/backup/manifest.ts';
import { runBackup } from '../../src/backup/run-backup.ts';
import type { Config } from '../../src/config.ts';
import type { RestoreRequest } from '../../src/core/ports.ts';
import { acquireLock, LOCK_KEY, type HeldLock } from '../../src/lock.ts';
import { createLogger } from '../../src/log.ts';
import { createCommandRedis } from '../../src/queue/queues.ts';
import { assertNoActiveRestore, RESTORE_ACTIVE_KEY, RestoreActiveError } from '../../src/restore/active.ts';
import { createCheckpoint } from '../../src/restore/checkpoint.ts';
import { RestoreFailedError, runRestoreJob } from '../../src/restore/restore-job.ts';
import { createAdapters } from '../../src/stores/registry.ts';
import type { StoreAdapter, StoreName } from '../../src/stores/types.ts';
import { testConfig } from '../helpers/env.ts';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.ts';
import { dropMongo, mutateMongo, recordingPoster, safetySets, seedMongo, snapshotMongo, testDatabases } from './helpers.ts';

let server: PrivateRedis;
let redis: Redis;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  server = await startPrivateRedis();
  redis = createCommandRedis(server.url, { commandTimeoutMs: 5000 });
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  await redis.del(LOCK_KEY, RESTORE_ACTIVE_KEY);
});

afterAll(async () => {
  redis?.disconnect();
  await server?.close();
});

function config(dbs: string[]): Config {
  return testConfig({ BACKUP_STORES: 'mongo', MONGO_DATABASES: dbs.join(','), REDEPLOY_AFTER_RESTORE: 'false', REDIS_URL: server.url });
}

function deps(cfg: Config, adapters?: Map<StoreName, StoreAdapter>): BackupDeps {
  const map = adapters ?? createAdapters(cfg, createLogger('silent'));
  cleanups.push(async () => void (await Promise.allSettled([...map.values()].map((a) => a.close()))));
  return { config: cfg, logger: createLogger('silent'), adapters: map, botVersion: 'test' };
}

/** A set of the seeded data, then the data changed: what a restore must undo. */
async function prepareSet(cfg: Config, dbs: string[]): Promise<{ req: RestoreRequest; before: unknown; changed: unknown }> {
  cleanups.push(async () => {
    await dropMongo(cfg.mongo.url, dbs);
    rmSync(cfg.backupRoot, { recursive: true, force: true });
  });
  await seedMongo(cfg.mongo.url, dbs);
  const before = (await snapshotMongo(cfg.mongo.url, dbs)).data;
  const label = `set-${randomBytes(3).toString('hex')}`;
  const made = await runBackup(deps(cfg), { label, requestedBy: 'U0SEEDER' });
  expect(made.ok).toBe(true);
  await mutateMongo(cfg.mongo.url, dbs);
  const changed = (await snapshotMongo(cfg.mongo.url, dbs)).data;
  expect(changed).not.toEqual(before);
  const req: RestoreRequest = {
    requestId: `rq-${randomBytes(6).toString('hex')}`,
    label,
    manifestSha256: made.manifestSha256,
    requestedBy: 'U0REQUESTER',
    approvedBy: ['U0APPROVER1', 'U0APPROVER2'],
    report: { channel: 'C0RESTORE', threadTs: '1700000000.000001' },
  };
  return { req, before, changed };
}

async function poll<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('restore job under faults', () => {
  it('lock lost before the first drop: nothing is dropped, the thread says so, backups stay refused, and the job resumes under a new lock to Done', { timeout: 240_000 }, async () => {
    const dbs = testDatabases();
    const cfg = config(dbs);
    const { req, before, changed } = await prepareSet(cfg, dbs);
    const real = deps(cfg);
    const mongo = real.adapters.get('mongo') as StoreAdapter;
    let thief: HeldLock | undefined;
    let restores = 0;
    // After the safety backup, the job's lock expires (Redis unreachable longer than the TTL) and
    // a queued nightly backup takes it: the job's next fence must see that.
    const adapter: StoreAdapter = {
      ...mongo,
      async backup(ctx) {
        const written = await mongo.backup(ctx);
        if (ctx.label.startsWith('pre-restore-') && !thief) {
          await redis.del(LOCK_KEY);
          thief = await acquireLock(redis, 'backup nightly (scheduler)', { waitMs: 0, ttlMs: 120_000 });
        }
        return written;
      },
      async restore(artifacts, ctx) {
        restores += 1;
        return mongo.restore(artifacts, ctx);
      },
    };
    cleanups.push(async () => void (await thief?.release()));
    const poster = recordingPoster();
    const connection = new Redis(server.url, { maxRetriesPerRequest: null });
    const queueName = `restore-fence-${randomBytes(4).toString('hex')}`;
    const queue = new Queue(queueName, { connection });
    const processor = createRestoreProcessor({ backup: { ...real, adapters: new Map([['mongo', adapter]]) }, redis, slack: undefined, poster: () => poster, lockWaitMs: 180_000, suspendRetryMs: 300 });
    const worker = new Worker(queueName, processor, { connection, lockDuration: 30_000 });
    cleanups.push(async () => {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
    });
    await queue.add('restore', req, { jobId: req.requestId });

    // The fence stopped the job before the drop; the thread says why; the job is not ended.
    await poll('the lost lock in the thread', 120_000, async () => (poster.all().includes('Stopped before the restore of mongo') ? true : undefined));
    expect(poster.all()).toContain('backup nightly (scheduler) took it');
    expect(poster.all()).toContain('paused, not ended: it resumes at the same step under a new lock');
    expect(restores).toBe(0);
    expect((await snapshotMongo(cfg.mongo.url, dbs)).data).toEqual(changed);
    expect(['delayed', 'active', 'waiting']).toContain(await (await queue.getJob(req.requestId))?.getState());
    // The nightly backup that holds the lock now is refused: the restore has not ended.
    const refused = await assertNoActiveRestore(redis, 'a backup').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RestoreActiveError);
    expect((refused as Error).message).toContain(`the restore of ${req.label} (request ${req.requestId}`);

    // The other holder lets go: the job takes a new lock and resumes at the same step.
    await thief?.release();
    const state = await poll('the job to end', 180_000, async () => {
      const s = await (await queue.getJob(req.requestId))?.getState();
      return s === 'completed' || s === 'failed' ? s : undefined;
    });
    expect((await queue.getJob(req.requestId))?.failedReason).toBeUndefined();
    expect(state).toBe('completed');
    expect((await snapshotMongo(cfg.mongo.url, dbs)).data).toEqual(before);
    expect(restores).toBe(1);
    expect(safetySets(cfg.backupRoot)).toHaveLength(1);
    expect(poster.messages.at(-1)?.text).toMatch(/^Done: restore of set-/);
    // Nothing says a store was half-restored: the fenced store was never started.
    expect(poster.all()).not.toContain('Resumed mongo after a worker restart');
    expect(await redis.exists(RESTORE_ACTIVE_KEY)).toBe(0);
  });

  it('a safety backup found on disk after a crash is verified before it is trusted; a damaged one is replaced before any drop', { timeout: 180_000 }, async () => {
    const dbs = testDatabases();
    const cfg = config(dbs);
    const { req, before } = await prepareSet(cfg, dbs);
    // What a worker killed while writing the safety backup can leave: a manifest saying complete,
    // an archive cut short, and the checkpoint still at "started".
    const stale = 'pre-restore-20200101T000000';
    const written = await runBackup(deps(cfg), { label: stale, requestedBy: `restore ${req.requestId}` });
    expect(written.ok).toBe(true);
    const artifact = (await readManifest(cfg.backupRoot, stale))?.manifest.artifacts[0]?.path ?? '';
    truncateSync(join(cfg.backupRoot, artifact), 64);
    const cp = createCheckpoint(redis, req.requestId);
    await cp.setMeta({ safetyLabel: stale, outcome: 'running', startedAt: Date.now() });
    await cp.start('safety-backup');

    const poster = recordingPoster();
    const r = await runRestoreJob({ backup: deps(cfg), redis, poster, lockWaitMs: 5000 }, req);
    expect(r.outcome).toBe('done');
    expect(poster.all()).toContain(`The safety backup ${stale}, found after the worker restart, failed verification`);
    expect(r.safetyLabel).not.toBe(stale);
    const fresh = r.safetyLabel ?? '';
    expect(safetySets(cfg.backupRoot).sort()).toEqual([stale, fresh].sort());
    expect(poster.messages.at(-1)?.text).toContain(fresh);
    expect(poster.messages.at(-1)?.text).not.toContain(stale);
    expect((await snapshotMongo(cfg.mongo.url, dbs)).data).toEqual(before);
  });

  it('a refused restore is terminal: delivered again (even once the set is whole again) it only repeats its report', { timeout: 180_000 }, async () => {
    const dbs = testDatabases();
    const cfg = config(dbs);
    const { req, changed } = await prepareSet(cfg, dbs);
    const file = join(cfg.backupRoot, 'mongo', `${dbs[1]}-${req.label}.gz`);
    const moved = `${file}.away`;
    const { renameSync } = await import('node:fs');
    renameSync(file, moved);
    const poster = recordingPoster();
    const first = await runRestoreJob({ backup: deps(cfg), redis, poster, lockWaitMs: 5000 }, req).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(RestoreFailedError);
    const report = poster.messages.at(-1)?.text ?? '';
    expect(report).toContain('nothing was touched');

    // The file is back: a redelivery that ran the restore again would now replace the data.
    renameSync(moved, file);
    const again = await runRestoreJob({ backup: deps(cfg), redis, poster, lockWaitMs: 5000 }, req).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(RestoreFailedError);
    expect((again as RestoreFailedError).refused).toBe(true);
    const last = poster.messages.at(-1)?.text ?? '';
    expect(last).toMatch(/^This restore already ended \(refused\); it is not run again\./);
    expect(last).toContain(report);
    expect((await snapshotMongo(cfg.mongo.url, dbs)).data).toEqual(changed);
    expect(safetySets(cfg.backupRoot)).toHaveLength(0);
  });
});
