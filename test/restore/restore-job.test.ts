/**
 * The restore job end to end on real servers: Redis (checkpoints, lock, BullMQ), MongoDB (the
 * store), the harness sshd as the manager node with the harness's real Docker engine behind it
 * (a test stack of its own per test; its migration service really applies migrations).
 */
import { randomBytes } from 'node:crypto';
import { rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRestoreProcessor } from '../../jobs/restore.ts';
import type { BackupDeps } from '../../src/backup/deps.ts';
import { readManifest } from '../../src/backup/manifest.ts';
import { pinnedLabels } from '../../src/backup/pins.ts';
import { runBackup } from '../../src/backup/run-backup.ts';
import type { Config } from '../../src/config.ts';
import type { RestoreRequest } from '../../src/core/ports.ts';
import { acquireLock, LockBusyError } from '../../src/lock.ts';
import { createLogger } from '../../src/log.ts';
import { createCheckpoint } from '../../src/restore/checkpoint.ts';
import { RestoreFailedError, runRestoreJob } from '../../src/restore/restore-job.ts';
import { InterruptedError } from '../../src/restore/wait.ts';
import { createAdapters } from '../../src/stores/registry.ts';
import type { StoreAdapter, StoreName } from '../../src/stores/types.ts';
import { testConfig } from '../helpers/env.ts';
import { startReindexStandIn } from '../../scripts/console/reindex-player.ts';
import { docker, deployStack, engineUptimeSeconds, migrationControl, removeStack, stackEnv, stackName } from '../helpers/swarm.ts';
import { dropMongo, managerExec, mutateMongo, recordingPoster, safetySets, seedMongo, snapshotMongo, testDatabases } from './helpers.ts';

/** Never run: the tests that use it are refused before the redeploy. */
const DEPLOY = 'cd / && docker stack deploy -c /opt/opencrvs/docker-compose.yml opencrvs';

let redis: Redis;
const cleanups: Array<() => Promise<void>> = [];

/** A deployed test stack whose migrations go into `dbs`; the variables that point a restore at it. */
async function liveStack(dbs: string[], control: { delayMs?: number; fail?: boolean } = {}): Promise<{ stack: string; env: Record<string, string> }> {
  const stack = stackName();
  migrationControl(stack, { databases: dbs, migrations: 3, delayMs: 100 });
  cleanups.push(() => removeStack(stack));
  await deployStack(stack);
  // What the redeploy will find: the control file is read by each new migration task.
  migrationControl(stack, { databases: dbs, migrations: 3, delayMs: 100, ...control });
  return { stack, env: stackEnv(stack) };
}

/** IDs of the stack's services: a redeploy after a stack down gives new ones. */
async function serviceIds(stack: string): Promise<string> {
  return (await docker(['service', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${stack}`])).split('\n').sort().join(',');
}

function config(dbs: string[], extra: Record<string, string> = {}): Config {
  return testConfig({
    BACKUP_STORES: 'mongo',
    MONGO_DATABASES: dbs.join(','),
    REDEPLOY_COMMAND: DEPLOY,
    STACK_DOWN_TIMEOUT_SECONDS: '90',
    MIGRATION_POLL_SECONDS: '0.3',
    MIGRATION_PROGRESS_SECONDS: '1',
    MIGRATION_TIMEOUT_HOURS: '0.02',
    ...extra,
  });
}

function deps(cfg: Config, adapters?: Map<StoreName, StoreAdapter>): BackupDeps {
  const map = adapters ?? createAdapters(cfg, createLogger('silent'));
  cleanups.push(async () => {
    await Promise.allSettled([...map.values()].map((a) => a.close()));
  });
  return { config: cfg, logger: createLogger('silent'), adapters: map, botVersion: 'test' };
}

/** A set of the seeded data, then the data changed: what a restore must undo. */
async function prepareSet(cfg: Config, dbs: string[]): Promise<{ req: RestoreRequest; before: Awaited<ReturnType<typeof snapshotMongo>> }> {
  await seedMongo(cfg.mongo.url, dbs);
  const before = await snapshotMongo(cfg.mongo.url, dbs);
  const label = `set-${randomBytes(3).toString('hex')}`;
  const made = await runBackup(deps(cfg), { label, requestedBy: 'U0SEEDER' });
  expect(made.ok).toBe(true);
  await mutateMongo(cfg.mongo.url, dbs);
  expect((await snapshotMongo(cfg.mongo.url, dbs)).data).not.toEqual(before.data);
  cleanups.push(() => dropMongo(cfg.mongo.url, dbs));
  const req: RestoreRequest = {
    requestId: `rq-${randomBytes(6).toString('hex')}`,
    label,
    manifestSha256: made.manifestSha256,
    requestedBy: 'U0REQUESTER',
    approvedBy: ['U0APPROVER1', 'U0APPROVER2'],
    report: { channel: 'C0RESTORE', threadTs: '1700000000.000001' },
  };
  return { req, before };
}

beforeAll(async () => {
  redis = new Redis(testConfig().redisUrl, { maxRetriesPerRequest: null });
});

afterEach(async () => {
  for (const c of cleanups.splice(0)) await c().catch(() => undefined);
});

afterAll(async () => {
  await redis?.quit();
});

describe('restore job', () => {
  it('runs an approved request to "Done": safety backup, data equal to the set, redeploy on the real swarm, migrations, summary', async () => {
    const dbs = testDatabases();
    const { stack, env } = await liveStack(dbs);
    const cfg = config(dbs, env);
    const { req, before } = await prepareSet(cfg, dbs);
    const idsBefore = await serviceIds(stack);
    const poster = recordingPoster();
    const connection = new Redis(cfg.redisUrl, { maxRetriesPerRequest: null });
    const queueName = `restore-test-${randomBytes(4).toString('hex')}`;
    const queue = new Queue(queueName, { connection });
    const processor = createRestoreProcessor({ backup: deps(cfg), redis, slack: undefined, manager: managerExec(cfg), redeployPollMs: 200, poster: () => poster });
    const worker = new Worker(queueName, processor, { connection, lockDuration: 30_000 });
    cleanups.push(async () => {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      await connection.quit();
    });
    const started = Date.now();
    const job = await queue.add('restore', req, { jobId: req.requestId });
    let state = await job.getState();
    while (state !== 'completed' && state !== 'failed' && Date.now() - started < 90_000) {
      await new Promise((r) => setTimeout(r, 200));
      state = await job.getState();
    }
    const finished = await queue.getJob(req.requestId);
    expect(finished?.failedReason).toBeUndefined();
    expect(state).toBe('completed');

    // Data equal to the set; the changelog has the set's migrations plus the ones applied since.
    const after = await snapshotMongo(cfg.mongo.url, dbs);
    expect(after.data).toEqual(before.data);
    expect(after.changelog[dbs[0] as string]).toBe((before.changelog[dbs[0] as string] ?? 0) + 3);

    // On the engine: the stack was taken down and deployed again (new services), Docker restarted.
    expect(await serviceIds(stack)).not.toBe(idsBefore);
    expect(await engineUptimeSeconds()).toBeLessThanOrEqual((Date.now() - started) / 1000);

    // The safety backup exists and is complete; the summary names it, the requester and approvers.
    const safety = safetySets(cfg.backupRoot);
    expect(safety).toHaveLength(1);
    expect((await readManifest(cfg.backupRoot, safety[0] as string))?.manifest.stores.every((s) => s.ok)).toBe(true);
    const summary = poster.messages.at(-1)?.text ?? '';
    expect(summary).toMatch(/^Done: restore of set-/);
    expect(summary).toContain('Requested by <@U0REQUESTER>, approved by <@U0APPROVER1>, <@U0APPROVER2>');
    expect(summary).toContain(safety[0]);
    expect(summary).toMatch(/mongo\*: \d+ records/);
    expect(summary).toMatch(/Migrations applied: .*\(\+3\)/);

    // One migration progress message, edited (not re-posted), at most about once a second.
    const migration = poster.messages.filter((m) => m.text.startsWith('Migrations'));
    expect(migration).toHaveLength(1);
    expect(migration[0]?.text).toMatch(/^Migrations: Done/);
    expect(migration[0]?.text).toContain(`${dbs[0]}\`: 5 applied (+3 since the restore)`);
    const seconds = (Date.now() - started) / 1000;
    expect(migration[0]?.edits ?? 0).toBeLessThanOrEqual(Math.ceil(seconds) + 2);
    // Hours of migrations must not flood the thread: a handful of posts for the whole job.
    expect(poster.messages.length).toBeLessThanOrEqual(5);
    // The approval card (the thread's root) no longer says "queued": it shows the end.
    expect(poster.card?.text).toContain('Restored — see thread');
    expect(JSON.stringify(poster.card?.blocks)).toContain('Approved by <@U0APPROVER1>, <@U0APPROVER2> · requested by <@U0REQUESTER>');
    expect(JSON.stringify(poster.card?.blocks)).not.toContain('queued');
  });

  it('v1.9+: after the migrations the search reindex runs, its progress in the thread; a failed reindex fails the restore, named', async () => {
    const dbs = testDatabases();
    const { env } = await liveStack(dbs);
    const good = await startReindexStandIn({ authDownFor: 1, runs: ['none', { status: 'running', processed: 700 }, { status: 'completed', processed: 1200 }] });
    cleanups.push(() => good.close());
    const cfg = config(dbs, { ...env, REINDEX_AFTER_RESTORE: 'true', REINDEX_AUTH_URL: good.url, REINDEX_EVENTS_URL: good.url });
    const { req } = await prepareSet(cfg, dbs);
    const poster = recordingPoster();
    const r = await runRestoreJob({ backup: deps(cfg), redis, poster, manager: managerExec(cfg), redeployPollMs: 200, lockWaitMs: 60_000 }, req);
    expect(r.outcome).toBe('done');
    expect(good.triggers).toBe(1);
    expect(poster.all()).toContain('Reindex: done — 1,200 documents indexed');
    expect(poster.messages.at(-1)?.text).toMatch(/Reindex search \(events\)/);

    const bad = await startReindexStandIn({ runs: [{ status: 'failed', processed: 3, error: 'index events_v2 missing' }] });
    cleanups.push(() => bad.close());
    const cfg2 = config(dbs, { ...env, REINDEX_AFTER_RESTORE: 'true', REINDEX_AUTH_URL: bad.url, REINDEX_EVENTS_URL: bad.url });
    const second = await prepareSet(cfg2, dbs);
    const poster2 = recordingPoster();
    const err = await runRestoreJob({ backup: deps(cfg2), redis, poster: poster2, manager: managerExec(cfg2), redeployPollMs: 200, lockWaitMs: 60_000 }, second.req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestoreFailedError);
    expect(poster2.all()).toMatch(/Reindex search \(events\)/);
    expect(poster2.all()).toContain('index events_v2 missing');
  });

  it('resumes after the worker stops during the MongoDB step, without redoing the safety backup', async () => {
    const dbs = testDatabases();
    const cfg = config(dbs, { REDEPLOY_AFTER_RESTORE: 'false' });
    const { req, before } = await prepareSet(cfg, dbs);
    const poster = recordingPoster();
    const controller = new AbortController();
    const real = deps(cfg);
    const mongo = real.adapters.get('mongo') as StoreAdapter;
    // Stands for a worker killed mid-restore: the data is half gone when it stops.
    const dying: StoreAdapter = {
      ...mongo,
      async restore(_artifacts, ctx) {
        await dropMongo(cfg.mongo.url, [dbs[0] as string]);
        controller.abort(new Error('worker closing'));
        // The adapter sees the abort through its context, as a real one would.
        if (!ctx.signal.aborted) await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        throw ctx.signal.reason;
      },
    };
    const first = await runRestoreJob({ backup: { ...real, adapters: new Map([['mongo', dying]]) }, redis, poster, lockWaitMs: 5000 }, req, { signal: controller.signal }).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(InterruptedError);
    const cp = createCheckpoint(redis, req.requestId);
    expect((await cp.step('safety-backup')).state).toBe('done');
    expect((await cp.step('restore:mongo')).state).toBe('started');
    expect(safetySets(cfg.backupRoot)).toHaveLength(1);
    expect(poster.all()).toContain('resumes at the same step');

    const second = await runRestoreJob({ backup: deps(cfg), redis, poster, lockWaitMs: 5000 }, req);
    expect(second.outcome).toBe('done');
    expect(poster.all()).toContain('Resumed mongo after a worker restart');
    // The resumed job read the set in full again before its next drop: the check is never skipped.
    expect(poster.all()).toContain(`the set ${req.label} is read in full again before the next store is replaced`);
    expect((await cp.step('verify-full')).attempts).toBe(2);
    expect(safetySets(cfg.backupRoot)).toHaveLength(1);
    expect((await snapshotMongo(cfg.mongo.url, dbs)).data).toEqual(before.data);
    expect(poster.messages.at(-1)?.text).toContain('resumed after a worker restart');
    // A third run of the same (finished) request changes nothing.
    const third = await runRestoreJob({ backup: deps(cfg), redis, poster, lockWaitMs: 5000 }, req);
    expect(third.text).toBe(second.text);
  });

  it('keeps watching migrations after a restart of the bot: same message, same start time, no second redeploy', async () => {
    const dbs = testDatabases();
    // Slow migrations: the watch is still running when the bot stops.
    const { stack, env } = await liveStack(dbs, { delayMs: 1500 });
    const cfg = config(dbs, env);
    const { req } = await prepareSet(cfg, dbs);
    const poster = recordingPoster();
    const controller = new AbortController();
    const cp = createCheckpoint(redis, req.requestId);
    const watching = setInterval(() => {
      void cp.meta().then((m) => {
        if (m.migration?.messageTs) controller.abort();
      });
    }, 100);
    cleanups.push(async () => clearInterval(watching));
    const run = { backup: deps(cfg), redis, poster, manager: managerExec(cfg), redeployPollMs: 300, lockWaitMs: 5000 };
    const first = await runRestoreJob(run, req, { signal: controller.signal }).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(InterruptedError);
    const watch = (await cp.meta()).migration;
    expect(watch?.messageTs).toBeDefined();
    expect((await cp.step('deploy')).state).toBe('done');
    const ids = await serviceIds(stack);
    const uptime = await engineUptimeSeconds();
    const resumedAt = Date.now();

    const second = await runRestoreJob({ ...run, backup: deps(cfg) }, req);
    expect(second.outcome).toBe('done');
    expect((await cp.meta()).migration?.startedAt).toBe(watch?.startedAt);
    const migration = poster.messages.filter((m) => m.text.startsWith('Migrations'));
    expect(migration).toHaveLength(1);
    expect(migration[0]?.ts).toBe(watch?.messageTs);
    expect(migration[0]?.text).toMatch(/^Migrations: Done/);
    // Only the watch resumed: the same services (no redeploy), the same engine (no restart), one safety backup.
    expect(await serviceIds(stack)).toBe(ids);
    expect(await engineUptimeSeconds()).toBeGreaterThanOrEqual(uptime + Math.floor((Date.now() - resumedAt) / 1000) - 1);
    expect(poster.all()).toContain('Resumed "Migrations" after a worker restart');
    expect(safetySets(cfg.backupRoot)).toHaveLength(1);
  });

  it('reports a migration restart loop, stops watching, and says each store is restored and where the safety backup is', async () => {
    const dbs = testDatabases();
    const { env } = await liveStack(dbs, { fail: true, delayMs: 0 });
    const cfg = config(dbs, env);
    const { req, before } = await prepareSet(cfg, dbs);
    const poster = recordingPoster();
    const err = await runRestoreJob({ backup: deps(cfg), redis, poster, manager: managerExec(cfg), redeployPollMs: 300, lockWaitMs: 5000 }, req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestoreFailedError);
    const report = poster.messages.at(-1)?.text ?? '';
    expect(report).toContain('stopped at step "Migrations"');
    expect(report).toMatch(/_migration is in a restart loop: \d+ failed tasks \(newest: .*; last error: task: non-zero exit \(1\)\)/);
    expect(report).toContain('*mongo*: restored');
    expect(report).toContain(safetySets(cfg.backupRoot)[0]);
    expect((await snapshotMongo(cfg.mongo.url, dbs)).data).toEqual(before.data);
  });

  it('refuses a deploy command with FACTORY_RESET=yes before anything is touched', async () => {
    const dbs = testDatabases();
    const cfg = config(dbs);
    const { req } = await prepareSet(cfg, dbs);
    const changed = await snapshotMongo(cfg.mongo.url, dbs);
    // loadConfig refuses it (unit test); a Config built another way is refused again by the job.
    const bad: Config = { ...cfg, restore: { ...cfg.restore, deployCommand: 'cd /opt/opencrvs && FACTORY_RESET=yes ./deploy.sh' } };
    const poster = recordingPoster();
    const err = await runRestoreJob({ backup: deps(bad), redis, poster, manager: managerExec(cfg), lockWaitMs: 5000 }, req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestoreFailedError);
    expect((err as RestoreFailedError).refused).toBe(true);
    expect(poster.all()).toMatch(/refused.*nothing was touched/);
    expect(poster.all()).toContain('REDEPLOY_COMMAND');
    expect(poster.all()).toContain('*mongo*: not touched');
    expect((await snapshotMongo(cfg.mongo.url, dbs)).data).toEqual(changed.data);
    expect(safetySets(cfg.backupRoot)).toHaveLength(0);
    // Nothing was stopped on the platform either.
    expect((await createCheckpoint(redis, req.requestId).meta()).quiesced).toBeUndefined();
  });

  it('refuses a set with a missing artifact before anything is touched', async () => {
    const dbs = testDatabases();
    const cfg = config(dbs);
    const { req } = await prepareSet(cfg, dbs);
    const changed = await snapshotMongo(cfg.mongo.url, dbs);
    rmSync(join(cfg.backupRoot, 'mongo', `${dbs[1]}-${req.label}.gz`));
    const poster = recordingPoster();
    const err = await runRestoreJob({ backup: deps(cfg), redis, poster, manager: managerExec(cfg), lockWaitMs: 5000 }, req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestoreFailedError);
    const report = poster.messages.at(-1)?.text ?? '';
    expect(report).toContain('refused at step "Check the set": nothing was touched');
    expect(report).toContain(`mongo/${dbs[1]}-${req.label}.gz: missing`);
    // The card says how it ended, and the people who asked and approved are told in the thread.
    expect(poster.card?.text).toContain('Restore refused at Check the set, nothing was touched — see thread');
    expect(report).toContain('Requested by <@U0REQUESTER>, approved by <@U0APPROVER1>, <@U0APPROVER2>');
    expect(report).toContain('No safety backup was taken');
    expect((await snapshotMongo(cfg.mongo.url, dbs)).data).toEqual(changed.data);
    expect(safetySets(cfg.backupRoot)).toHaveLength(0);
    // Nothing was stopped on the platform either.
    expect((await createCheckpoint(redis, req.requestId).meta()).quiesced).toBeUndefined();
  });

  it('reports a store as "not touched" when its adapter refuses the artifact before deleting anything', async () => {
    const dbs = testDatabases();
    const cfg = config(dbs, { REDEPLOY_AFTER_RESTORE: 'false' });
    const { req } = await prepareSet(cfg, dbs);
    const changed = await snapshotMongo(cfg.mongo.url, dbs);
    const real = deps(cfg);
    const mongo = real.adapters.get('mongo') as StoreAdapter;
    // The file is damaged after the job verified the set (disk trouble, someone editing it).
    const damaging: StoreAdapter = {
      ...mongo,
      async restore(artifacts, ctx) {
        writeFileSync(join(cfg.backupRoot, 'mongo', `${dbs[0]}-${req.label}.gz`), 'not a gzip file any more');
        return mongo.restore(artifacts, ctx);
      },
    };
    const poster = recordingPoster();
    const err = await runRestoreJob({ backup: { ...real, adapters: new Map([['mongo', damaging]]) }, redis, poster, lockWaitMs: 5000 }, req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestoreFailedError);
    const report = poster.messages.at(-1)?.text ?? '';
    expect(report).toContain('refused at step "Restore mongo": nothing was touched');
    expect(report).toContain('*mongo*: not touched');
    expect(report).toContain(safetySets(cfg.backupRoot)[0]);
    expect((await snapshotMongo(cfg.mongo.url, dbs)).data).toEqual(changed.data);
  });

  it('refuses to restore when the safety backup it just took does not verify', async () => {
    const dbs = testDatabases();
    const cfg = config(dbs, { REDEPLOY_AFTER_RESTORE: 'false' });
    const { req } = await prepareSet(cfg, dbs);
    const changed = await snapshotMongo(cfg.mongo.url, dbs);
    const real = deps(cfg);
    const mongo = real.adapters.get('mongo') as StoreAdapter;
    // The safety backup's archive is cut short on disk after it was written (a full or failing disk).
    const truncating: StoreAdapter = {
      ...mongo,
      async backup(ctx) {
        const written = await mongo.backup(ctx);
        if (ctx.label.startsWith('pre-restore-')) truncate(join(ctx.root, written[0]?.path ?? ''), 64);
        return written;
      },
    };
    const poster = recordingPoster();
    const err = await runRestoreJob({ backup: { ...real, adapters: new Map([['mongo', truncating]]) }, redis, poster, lockWaitMs: 5000 }, req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestoreFailedError);
    expect((err as RestoreFailedError).refused).toBe(true);
    const report = poster.messages.at(-1)?.text ?? '';
    expect(report).toContain('refused at step "Safety backup": nothing was touched');
    expect(report).toMatch(/failed verification, so nothing was restored/);
    expect(report).toContain('*mongo*: not touched');
    expect((await snapshotMongo(cfg.mongo.url, dbs)).data).toEqual(changed.data);
  });

  it('finishes even when every post to the thread hangs (each post is bounded)', async () => {
    const dbs = testDatabases();
    const cfg = config(dbs, { REDEPLOY_AFTER_RESTORE: 'false' });
    const { req, before } = await prepareSet(cfg, dbs);
    const hanging = { post: () => new Promise<string | undefined>(() => undefined), update: () => new Promise<void>(() => undefined), root: () => new Promise<void>(() => undefined) };
    const started = Date.now();
    const job = runRestoreJob({ backup: deps(cfg), redis, poster: hanging, lockWaitMs: 5000, postTimeoutMs: 200 }, req);
    const result = await Promise.race([job, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 20_000))]);
    expect(result).not.toBe('hung');
    expect((result as { outcome: string }).outcome).toBe('done');
    expect(Date.now() - started).toBeLessThan(20_000);
    expect((await snapshotMongo(cfg.mongo.url, dbs)).data).toEqual(before.data);
  });

  it('pins its set while it waits for the lock and runs, and releases it when it ends', async () => {
    const dbs = testDatabases();
    const cfg = config(dbs, { REDEPLOY_AFTER_RESTORE: 'false' });
    const { req } = await prepareSet(cfg, dbs);
    // A private key space, so holding "the" lock here blocks nobody else's tests.
    const own = new Redis(cfg.redisUrl, { maxRetriesPerRequest: null, keyPrefix: `t-pin-${randomBytes(4).toString('hex')}:` });
    cleanups.push(async () => own.disconnect());
    const nightly = await acquireLock(own, 'backup (nightly)', { waitMs: 0 });
    const waiting = await runRestoreJob({ backup: deps(cfg), redis: own, poster: recordingPoster(), lockWaitMs: 300 }, req).catch((e: unknown) => e);
    expect(waiting).toBeInstanceOf(LockBusyError);
    // While it waits, the nightly run's retention must leave the set alone.
    expect(await pinnedLabels(own)).toContain(req.label);
    await nightly.release();
    const done = await runRestoreJob({ backup: deps(cfg), redis: own, poster: recordingPoster(), lockWaitMs: 5000 }, req);
    expect(done.outcome).toBe('done');
    expect(await pinnedLabels(own)).not.toContain(req.label);
  });
});

/** Cuts a file to its first `bytes` bytes. */
function truncate(path: string, bytes: number): void {
  truncateSync(path, bytes);
}
