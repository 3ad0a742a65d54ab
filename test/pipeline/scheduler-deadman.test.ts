/** The nightly scheduler across restarts, and the dead-man alert (real Redis, BullMQ, fake Slack). */
import { afterEach, describe, expect, it } from 'vitest';
import { writeManifest, type Manifest } from '../../src/backup/manifest.ts';
import { checkDeadman } from '../../src/deadman/check.ts';
import { createLogger } from '../../src/log.ts';
import { NIGHTLY_SCHEDULER_ID } from '../../src/queue/names.ts';
import { createQueues } from '../../src/queue/queues.ts';
import { nextNightlyRun, upsertSchedulers } from '../../src/queue/scheduler.ts';
import { startSchedulers, startWorkers } from '../../jobs/index.ts';
import { formatTimeInZone } from '../../src/report/format.ts';
import { CHANNEL, makeEnv, rootMessages, until, type Env } from './helpers.ts';

const envs: Env[] = [];
afterEach(async () => {
  await Promise.all(envs.splice(0).map((e) => e.close()));
});

function manifest(label: string, finishedAt: Date): Manifest {
  const at = finishedAt.toISOString();
  return { format: 1, label, createdAt: at, finishedAt: at, botVersion: 't', requestedBy: 'schedule', stores: [{ store: 'mongo', ok: true, durationMs: 1 }], artifacts: [] };
}

describe('scheduler', () => {
  it('after a restart (queues closed and recreated, upserted again) the nightly scheduler exists once', async () => {
    const e = await makeEnv({ BACKUP_CRON: '0 0 * * *', BACKUP_TIME_ZONE: 'Africa/Kampala' });
    envs.push(e);
    await upsertSchedulers(e.queues, e.config);
    await e.queues.close();
    for (let restart = 0; restart < 3; restart++) {
      const q = createQueues(e.redis, e.prefix);
      await upsertSchedulers(q, e.config);
      await q.close();
    }
    const q = createQueues(e.redis, e.prefix);
    try {
      expect(await q.backup.getJobSchedulersCount()).toBe(1);
      expect(await q.deadman.getJobSchedulersCount()).toBe(1);
      expect(await q.backup.getDelayedCount()).toBe(1);
      const s = await q.backup.getJobScheduler(NIGHTLY_SCHEDULER_ID);
      expect(s).toMatchObject({ pattern: '0 0 * * *', tz: 'Africa/Kampala' });
      const next = await nextNightlyRun(q);
      expect(next).toBeDefined();
      // Midnight in the deployment's zone, within the next day.
      expect(formatTimeInZone((next as Date).toISOString(), 'Africa/Kampala')).toMatch(/ 00:00 Africa\/Kampala$/);
      expect((next as Date).getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
      // A changed schedule replaces the old one instead of adding a second.
      await upsertSchedulers(q, { cron: '30 1 * * *', timeZone: 'Africa/Kampala' });
      expect(await q.backup.getJobSchedulersCount()).toBe(1);
      expect((await q.backup.getJobScheduler(NIGHTLY_SCHEDULER_ID))?.pattern).toBe('30 1 * * *');
    } finally {
      await q.close();
    }
  });
});

describe('dead-man check', () => {
  it('alerts once when no complete set is younger than 26 h, through the repeatable job and the start-up check', async () => {
    const e = await makeEnv();
    envs.push(e);
    await writeManifest(e.config.backupRoot, manifest('2026-01-01', new Date(Date.now() - 30 * 3600_000)));
    const workers = startWorkers({
      connection: e.redis,
      queues: e.queues,
      logger: createLogger('silent'),
      backup: { backup: e.backup, redis: e.lockRedis, history: e.history, offsite: undefined, slack: e.slack, nextRun: async () => undefined },
      deadman: { redis: e.redis, prefix: e.prefix, backupRoot: e.config.backupRoot, slack: e.slack, channel: CHANNEL, oncallGroup: 'S0ONCALL', timeZone: 'UTC' },
    });
    try {
      const started = Date.now();
      const schedulers = await startSchedulers(e.queues, e.config, { deadmanEveryMs: 300, watchdogMs: 500 });
      const alert = await until('the dead-man alert', 10_000, async () => rootMessages(e.fake)[0]);
      const ms = Date.now() - started;
      expect(alert.text).toContain('<!subteam^S0ONCALL>');
      expect(alert.text).toContain('No complete backup in the last 26 h');
      expect(alert.text).toContain('`2026-01-01`');
      // Several more checks run (every 300 ms); none repeats the alert.
      await until('more checks', 10_000, async () => (await e.queues.deadman.getCompletedCount()) >= 5);
      expect(rootMessages(e.fake)).toHaveLength(1);
      process.stderr.write(`dead-man: alert ${ms} ms after start-up\n`);

      // Redis wiped under the running bot (every key of this deployment): the watchdog brings the
      // schedulers back and the check speaks again, once (the memory of the episode was wiped too).
      const keys = await e.redis.keys(`${e.prefix}:*`);
      await e.redis.del(...keys);
      expect(await e.queues.deadman.getJobSchedulersCount()).toBe(0);
      await until('the second alert', 10_000, async () => rootMessages(e.fake).length === 2);
      expect(await e.queues.backup.getJobSchedulersCount()).toBe(1);
      await new Promise((r) => setTimeout(r, 1500));
      expect(rootMessages(e.fake)).toHaveLength(2);
      schedulers.close();
    } finally {
      await workers.close();
    }
  });

  it('is quiet while a recent complete set exists, and a new episode alerts again', async () => {
    const e = await makeEnv();
    envs.push(e);
    const deps = { redis: e.redis, prefix: e.prefix, backupRoot: e.config.backupRoot, slack: e.slack, channel: CHANNEL, oncallGroup: undefined, timeZone: 'UTC' };
    expect(await checkDeadman(deps)).toMatchObject({ healthy: false, alerted: true, lastComplete: undefined });
    expect(rootMessages(e.fake)[0]?.text).toContain('There is no complete backup set at all');
    await writeManifest(e.config.backupRoot, manifest('fresh', new Date(Date.now() - 3600_000)));
    expect(await checkDeadman(deps)).toMatchObject({ healthy: true, alerted: false });
    // 27 h later the same set is too old: a new episode, one new alert.
    const later = { ...deps, now: () => new Date(Date.now() + 26 * 3600_000) };
    expect(await checkDeadman(later)).toMatchObject({ healthy: false, alerted: true });
    expect(await checkDeadman(later)).toMatchObject({ healthy: false, alerted: false });
    expect(rootMessages(e.fake)).toHaveLength(2);
  });
});
