/**
 * The operations lock's fencing and the restore mark, on a PRIVATE redis-server (never the
 * harness's: these tests take, steal and lose the shared lock, and restart Redis): assertHeld
 * renews or stops the step naming it; renewal trouble reaches the holder; the mark's key is not
 * one of BullMQ's; the real CLI refuses backups and prunes while a restore has not ended.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLock, LOCK_KEY, LockLostError } from '../../src/lock.ts';
import { createCommandRedis } from '../../src/queue/queues.ts';
import { DEFAULT_PREFIX, QUEUE_NAMES } from '../../src/queue/names.ts';
import { activeRestore, assertNoActiveRestore, claimRestoreMark, markRestoreActive, RESTORE_ACTIVE_KEY, RestoreActiveError } from '../../src/restore/active.ts';
import { createCheckpoint } from '../../src/restore/checkpoint.ts';
import { isRedisOutage } from '../../src/restore/suspend.ts';
import { StoreError } from '../../src/errors.ts';
import { runCli } from '../helpers/cli.ts';
import { servicesEnv } from '../helpers/env.ts';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.ts';

let server: PrivateRedis;
let redis: Redis;
const roots: string[] = [];

beforeAll(async () => {
  server = await startPrivateRedis();
  redis = createCommandRedis(server.url, { commandTimeoutMs: 2000, connectTimeoutMs: 2000 });
});

afterAll(async () => {
  redis?.disconnect();
  await server?.close();
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

async function poll(what: string, timeoutMs: number, probe: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('operations lock fencing', () => {
  it('assertHeld renews the lock; a lock that expired or was taken stops the step and names it', async () => {
    await redis.del(LOCK_KEY);
    const mine = await acquireLock(redis, 'restore set-a (rq-1)', { waitMs: 0, ttlMs: 8000 });
    await redis.pexpire(LOCK_KEY, 3000);
    await mine.assertHeld('the restore of mongo');
    expect(await redis.pttl(LOCK_KEY)).toBeGreaterThan(5000);

    // Expired (the key is gone): the step does not run, and the error says which step.
    await redis.del(LOCK_KEY);
    const expired = await mine.assertHeld('the restore of mongo').catch((e: unknown) => e);
    expect(expired).toBeInstanceOf(LockLostError);
    expect((expired as Error).message).toMatch(/^Stopped before the restore of mongo: .*no longer holds the operations lock \(it expired\)/);

    // Taken by another holder after the expiry: named.
    const thief = await acquireLock(redis, 'backup nightly (scheduler)', { waitMs: 0, ttlMs: 8000 });
    const taken = await mine.assertHeld('the local retention').catch((e: unknown) => e);
    expect((taken as Error).message).toContain('Stopped before the local retention');
    expect((taken as Error).message).toContain('backup nightly (scheduler) took it');
    // The thief's lock is untouched by the loser's check and release.
    expect(await mine.release()).toBe(false);
    await thief.assertHeld('the local retention');
    expect(await thief.release()).toBe(true);
    expect(await redis.exists(LOCK_KEY)).toBe(0);
  });

  it('tells the holder when a renewal finds the lock gone, when Redis stops answering, and when it answers again', { timeout: 180_000 }, async () => {
    await redis.del(LOCK_KEY);
    const problems: string[] = [];
    const held = await acquireLock(redis, 'restore set-b (rq-2)', { waitMs: 0, ttlMs: 3000, onProblem: (m) => problems.push(m) });
    await redis.del(LOCK_KEY);
    await poll('the lost lock to be reported', 30_000, () => problems.some((p) => /restore set-b \(rq-2\) was lost: it expired/.test(p)));
    await held.release();

    problems.length = 0;
    // A TTL far longer than the outage (even on a loaded machine): the lock outlives it, only the
    // renewals (every second here) fail meanwhile.
    const again = await acquireLock(redis, 'restore set-c (rq-3)', { waitMs: 0, ttlMs: 600_000, renewMs: 1000, onProblem: (m) => problems.push(m) });
    await server.stop();
    try {
      await poll('a failed renewal to be reported', 60_000, () => problems.some((p) => p.startsWith('Renewing the operations lock of restore set-c (rq-3) failed')));
      // And a fence while Redis is down is a LockLostError, not a step run on faith.
      const down = await again.assertHeld('taking the stack down').catch((e: unknown) => e);
      expect(down).toBeInstanceOf(LockLostError);
      expect((down as Error).message).toContain('Stopped before taking the stack down');
      // A network error while Redis does not answer is a Redis outage (the restore waits).
      expect(await isRedisOutage(new StoreError('mongo', 'restore failed: connect ECONNREFUSED 127.0.0.1:27017'), redis)).toBe(true);
    } finally {
      await server.start();
    }
    // The key survived the restart (append-only file) and is still ours: renewals resume.
    await poll('renewals to be reported working again', 120_000, () => problems.some((p) => p.includes('is renewed again')));
    await again.assertHeld('taking the stack down');
    expect(await again.release()).toBe(true);
    // With Redis answering, the same error is the store's: a failed step, not a pause.
    expect(await isRedisOutage(new StoreError('mongo', 'restore failed: connect ECONNREFUSED 127.0.0.1:27017'), redis)).toBe(false);
    expect(await isRedisOutage(new Error('Connection is closed.'), redis)).toBe(true);
  });
});

describe('restore mark', () => {
  it('is not one of BullMQ keys: a restore job running on the default prefix leaves the mark readable', { timeout: 120_000 }, async () => {
    expect(RESTORE_ACTIVE_KEY.startsWith(`${DEFAULT_PREFIX}:${QUEUE_NAMES.restore}:`)).toBe(false);
    const requestId = `rq-${randomBytes(4).toString('hex')}`;
    await createCheckpoint(redis, requestId).setMeta({ outcome: 'running' });
    await markRestoreActive(redis, { kind: 'job', requestId, label: 'set-mark' });
    // The production prefix and queue name, on this private server: BullMQ writes its active list.
    const connection = new Redis(server.url, { maxRetriesPerRequest: null });
    const queue = new Queue(QUEUE_NAMES.restore, { connection, prefix: DEFAULT_PREFIX });
    let sawMark: string | undefined;
    const worker = new Worker(
      QUEUE_NAMES.restore,
      async () => {
        sawMark = (await activeRestore(redis))?.requestId;
      },
      { connection, prefix: DEFAULT_PREFIX },
    );
    try {
      const job = await queue.add('restore', { x: 1 });
      await poll('the job to complete', 60_000, async () => (await job.getState()) === 'completed');
      expect(sawMark).toBe(requestId);
      expect((await activeRestore(redis))?.requestId).toBe(requestId);
      expect(await redis.type(RESTORE_ACTIVE_KEY)).toBe('string');
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
      await redis.del(RESTORE_ACTIVE_KEY);
    }
  });

  it('a CLI restore that died leaves its mark: backups refused, a restore may take over; a job that has not ended refuses another restore', async () => {
    await markRestoreActive(redis, { kind: 'cli', requestId: 'cli-dead', label: 'set-cli' });
    const backup = await assertNoActiveRestore(redis, 'a backup').catch((e: unknown) => e);
    expect(backup).toBeInstanceOf(RestoreActiveError);
    expect((backup as Error).message).toMatch(/^Refusing to start a backup: a CLI restore of set-cli began at .* and did not finish.*crvs-backup restore set-cli --yes/);
    // Running a restore to its end is what clears a dead CLI restore's mark: it may start, but
    // it takes the mark over only at its first drop (a refusal before that leaves the mark).
    await assertNoActiveRestore(redis, 'the restore of set-x', { requestId: 'rq-new' });
    await claimRestoreMark(redis, { kind: 'job', requestId: 'rq-new', label: 'set-x' });
    expect((await activeRestore(redis))?.requestId).toBe('cli-dead');

    const requestId = `rq-${randomBytes(4).toString('hex')}`;
    await createCheckpoint(redis, requestId).setMeta({ outcome: 'running' });
    await markRestoreActive(redis, { kind: 'job', requestId, label: 'set-job' });
    const other = await assertNoActiveRestore(redis, 'the restore of set-x', { requestId: 'rq-new' }).catch((e: unknown) => e);
    expect((other as Error).message).toContain(`Refusing to start the restore of set-x: the restore of set-job (request ${requestId}`);
    // The job itself, resumed, goes on.
    await assertNoActiveRestore(redis, 'the restore of set-job', { requestId });
    await redis.del(RESTORE_ACTIVE_KEY);
  });

  it('refuses crvs-backup backup and prune while a restore has not ended, whatever the TTLs, and lets them run once it has', { timeout: 180_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'crvs-mark-'));
    roots.push(root);
    const env = { ...servicesEnv(), REDIS_URL: server.url, BACKUP_ROOT: root, BACKUP_STORES: 'mongo', MONGO_DATABASES: `mark${randomBytes(3).toString('hex')}`, LOG_LEVEL: 'silent' };
    const requestId = `rq-${randomBytes(4).toString('hex')}`;
    const cp = createCheckpoint(redis, requestId);
    await cp.setMeta({ outcome: 'running' });
    await markRestoreActive(redis, { kind: 'job', requestId, label: 'set-paused' });
    await redis.del(LOCK_KEY);
    expect(await redis.pttl(RESTORE_ACTIVE_KEY)).toBe(-1);

    const prune = await runCli(['prune'], env);
    expect(prune.code).not.toBe(0);
    expect(prune.stdout + prune.stderr).toContain(`Refusing to start a prune: the restore of set-paused (request ${requestId}`);
    const backup = await runCli(['backup'], env);
    expect(backup.code).toBe(1);
    expect(backup.stdout).toContain('Backup skipped: Refusing to start a backup: the restore of set-paused');
    expect(backup.stdout).toContain('Backup skipped.');
    // Refused after taking the lock: they gave it back.
    expect(await redis.exists(LOCK_KEY)).toBe(0);

    // The job's restore ended: its mark is stale and goes; prune runs.
    await markRestoreActive(redis, { kind: 'job', requestId, label: 'set-paused' });
    await cp.setMeta({ outcome: 'failed' });
    const after = await runCli(['prune'], env);
    expect(after.stdout + after.stderr).toContain('Nothing to prune.');
    expect(after.code).toBe(0);
    expect(await redis.exists(RESTORE_ACTIVE_KEY)).toBe(0);
  });
});
