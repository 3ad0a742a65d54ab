/**
 * The nightly pipeline on real servers (Redis, MongoDB wire server, InfluxDB, sshd as the backup
 * server) with the fake Slack Web API: what the channel shows, what lands on disk and offsite.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readManifest } from '../../src/backup/manifest.ts';
import { verifySet } from '../../src/backup/verify-set.ts';
import { createCore } from '../../src/core/core.ts';
import { acquireLock, LOCK_KEY } from '../../src/lock.ts';
import { createLogger } from '../../src/log.ts';
import { createOffsiteCopier } from '../../src/pipeline/offsite-adapter.ts';
import { runPipeline } from '../../src/pipeline/run-pipeline.ts';
import type { PipelineDeps } from '../../src/pipeline/types.ts';
import { nextNightlyRun, upsertSchedulers } from '../../src/queue/scheduler.ts';
import { createReportClient } from '../../src/report/slack-client.ts';
import { createSlackReporter } from '../../src/report/poster.ts';
import { startWorkers } from '../../jobs/index.ts';
import { seedElasticsearch } from '../../scripts/seed/elasticsearch.ts';
import { seedInfluxdb } from '../../scripts/seed/influxdb.ts';
import { servicesEnv } from '../helpers/env.ts';
import { CHANNEL, closedPort, makeEnv, rootMessages, seedMongo, until, type Env } from './helpers.ts';

const envs: Env[] = [];
afterEach(async () => {
  await Promise.all(envs.splice(0).map((e) => e.close()));
});

async function env(overrides: Record<string, string> = {}): Promise<Env> {
  const e = await makeEnv(overrides);
  envs.push(e);
  return e;
}

function pipelineDeps(e: Env, over: Partial<PipelineDeps> = {}): PipelineDeps {
  const client = createReportClient(e.config);
  if (!client) throw new Error('Slack is not configured in the test config');
  return {
    backup: e.backup,
    redis: e.lockRedis,
    history: e.history,
    offsite: undefined,
    reporter: createSlackReporter(client, { channel: CHANNEL, oncallGroup: e.config.slack.oncallGroup, timeZone: e.config.timeZone }),
    nextRun: () => nextNightlyRun(e.queues),
    lockWaitMs: 500,
    offsiteTimeoutMs: 60_000,
    ...over,
  };
}

describe('nightly pipeline', () => {
  it('runs end to end through the queue: manifest written, verified, copied offsite, one report with a ✓ line per store', async () => {
    const s = servicesEnv();
    const e = await env({ BACKUP_STORES: 'mongo,influxdb', BACKUP_SERVER_HOST: s['BACKUP_SERVER_HOST'] ?? '' });
    await seedMongo(e.config.mongo.url, e.config.mongo.databases[0] as string, 50);
    // Its own InfluxDB data: never what an earlier test file happened to leave (order-independent).
    await seedInfluxdb(e.config, { scale: 0.1, seed: 22 });
    const offsite = createOffsiteCopier(e.config, e.backup.logger);
    expect(offsite).toBeDefined();
    await upsertSchedulers(e.queues, e.config);
    const workers = startWorkers({
      connection: e.redis,
      queues: e.queues,
      logger: createLogger('silent'),
      backup: { backup: e.backup, redis: e.lockRedis, history: e.history, offsite, slack: e.slack, nextRun: () => nextNightlyRun(e.queues), lockWaitMs: 5000 },
      deadman: { redis: e.redis, prefix: e.prefix, backupRoot: e.config.backupRoot, slack: e.slack, channel: CHANNEL, oncallGroup: 'S0ONCALL', timeZone: e.config.timeZone },
    });
    try {
      const core = createCore({ backup: e.backup, queues: e.queues, redis: e.lockRedis, history: e.history, offsite });
      const started = Date.now();
      const { jobId } = await core.enqueueBackup({ requestedBy: 'U0OPERATOR' });
      const again = await core.enqueueBackup({ requestedBy: 'U0OPERATOR' });
      expect(again.jobId).toBe(jobId);
      const job = await until('the backup job', 180_000, async () => {
        const j = await e.queues.backup.getJob(jobId);
        const state = await j?.getState();
        return state === 'completed' || state === 'failed' ? j : undefined;
      });
      const ms = Date.now() - started;
      expect(await job.getState()).toBe('completed');
      const label = (job.returnvalue as { label: string }).label;
      expect((job.returnvalue as { outcome: string }).outcome, JSON.stringify(job.returnvalue)).toBe('ok');

      const read = await readManifest(e.config.backupRoot, label);
      expect(read?.manifest.stores.map((x) => [x.store, x.ok])).toEqual([['mongo', true], ['influxdb', true]]);
      expect((await verifySet(e.backup, label)).problems).toEqual([]);
      expect(existsSync(join(e.config.backupServer?.dir ?? '/nonexistent', label, 'manifests', `${label}.json`))).toBe(true);

      // The dead-man check (its scheduler runs at once) may have alerted before the first set existed.
      const roots = rootMessages(e.fake).filter((m) => !m.text.includes('No complete backup'));
      expect(roots, JSON.stringify(rootMessages(e.fake).map((m) => m.text))).toHaveLength(1);
      const report = roots[0];
      expect(report?.blocks).toContain('Backup complete');
      expect(report?.blocks).toContain('✓ *mongo*');
      expect(report?.blocks).toContain('✓ *influxdb*');
      expect(report?.blocks).toMatch(/✓ \*mongo\* [\d.]+ (B|kB|MB) · 75 records/);
      expect(report?.blocks).toContain('remote checksums match');
      expect(report?.blocks).toContain('backup server');
      expect(report?.blocks).toContain('Next run: <!date^');
      expect(report?.text).not.toContain('subteam');
      const thread = e.fake.thread(CHANNEL, report?.ts ?? '');
      expect(thread.length).toBeGreaterThan(0);

      const history = await core.history(5);
      expect(history[0]).toMatchObject({ id: jobId, outcome: 'ok', label });
      const sets = await core.listSets();
      expect(sets.find((x) => x.label === label)?.location).toBe('both');
      const status = await core.status();
      expect(status.lastComplete?.label).toBe(label);
      expect(status.nextRun).toBeDefined();
      expect(status.lock).toBeUndefined();
      process.stderr.write(`pipeline e2e: ${ms} ms from enqueue to completed job (mongo + influxdb + offsite)\n`);
    } finally {
      await workers.close();
    }
  }, 240_000);

  it('the Elasticsearch line shows what each snapshot added and the repository size, not 0 B', async () => {
    const e = await env({ BACKUP_STORES: 'elasticsearch' });
    await seedElasticsearch(e.config, { scale: 0.1, seed: 21 });
    const LINE = /✓ \*elasticsearch\* (added [\d.]+ (?:B|kB|MB) in (\d+) files?|added nothing new), repository ([\d.]+ (?:kB|MB))/;
    async function run(label: string): Promise<{ line: RegExpExecArray; repositoryBytes: number }> {
      const r = await runPipeline(pipelineDeps(e), { runId: label, trigger: 'schedule', requestedBy: 'schedule', label });
      expect(r.outcome, r.problems.join('\n')).toBe('ok');
      const report = rootMessages(e.fake).at(-1)?.blocks ?? '';
      expect(report).not.toContain('*elasticsearch* 0 B');
      const line = LINE.exec(report);
      if (!line) throw new Error(`no Elasticsearch line with sizes in ${report}`);
      const snapshot = r.stores.find((s) => s.store === 'elasticsearch')?.snapshot;
      return { line, repositoryBytes: snapshot?.repositoryBytes ?? 0 };
    }

    const first = await run('es-report-1');
    expect(Number(first.line[2])).toBeGreaterThan(0);
    expect(first.repositoryBytes).toBeGreaterThan(0);

    // Nothing changed: the next snapshot writes no new files, and the line says so.
    const second = await run('es-report-2');
    expect(second.line[1]).toBe('added nothing new');

    // New documents: the snapshot adds their files and the repository grows.
    const url = e.config.elasticsearch.url;
    for (let i = 0; i < 20; i++) {
      await fetch(new URL(`/ocrvs-1/_doc/added-${i}`, url), { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ compositionId: `added-${i}`, type: 'REGISTERED' }) });
    }
    await fetch(new URL('/ocrvs-1/_flush', url), { method: 'POST' });
    const third = await run('es-report-3');
    expect(Number(third.line[2])).toBeGreaterThan(0);
    expect(third.repositoryBytes).toBeGreaterThan(second.repositoryBytes);
  }, 180_000);

  it('one store failing (closed port): reported as PARTIAL with ✓ and ✗ lines, the reason and the on-call mention', async () => {
    const e = await env({ BACKUP_STORES: 'mongo,influxdb', INFLUX_URL: `http://127.0.0.1:${await closedPort()}` });
    await seedMongo(e.config.mongo.url, e.config.mongo.databases[0] as string, 10);
    const r = await runPipeline(pipelineDeps(e), { runId: 'partial-1', trigger: 'schedule', requestedBy: 'schedule' });
    expect(r.outcome).toBe('partial');
    const [report] = rootMessages(e.fake);
    expect(rootMessages(e.fake)).toHaveLength(1);
    expect(report?.blocks).toContain('PARTIAL');
    expect(report?.blocks).toContain('✓ *mongo*');
    expect(report?.blocks).toMatch(/✗ \*influxdb\* failed after [\d.]+ s: .*127\.0\.0\.1/);
    expect(report?.text).toContain('<!subteam^S0ONCALL>');
    expect((await e.history.list(1))[0]?.outcome).toBe('partial');
  }, 120_000);

  it('everything failing: FAILED, every store ✗, nothing copied, on-call mentioned', async () => {
    const e = await env({
      BACKUP_STORES: 'mongo,influxdb',
      MONGO_URL: `mongodb://127.0.0.1:${await closedPort()}`,
      INFLUX_URL: `http://127.0.0.1:${await closedPort()}`,
    });
    const r = await runPipeline(pipelineDeps(e), { runId: 'fail-1', trigger: 'schedule', requestedBy: 'schedule' });
    expect(r.outcome).toBe('failed');
    const [report] = rootMessages(e.fake);
    expect(report?.blocks).toContain('Backup FAILED');
    expect(report?.blocks.match(/✗ \*(mongo|influxdb)\* failed/g)).toHaveLength(2);
    expect(report?.text).toContain('<!subteam^S0ONCALL>');
  }, 120_000);

  it('no backup while a restore holds the lock: skipped and reported, no set made', async () => {
    const e = await env();
    await seedMongo(e.config.mongo.url, e.config.mongo.databases[0] as string, 5);
    const restore = await acquireLock(e.lockRedis, 'restore 2026-11-20 (U0RESTORER)', { waitMs: 5000 });
    try {
      const started = Date.now();
      const r = await runPipeline(pipelineDeps(e, { lockWaitMs: 1500 }), { runId: 'locked-1', trigger: 'schedule', requestedBy: 'schedule' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
      expect(r.outcome).toBe('skipped');
      expect(r.label).toBeUndefined();
      const [report] = rootMessages(e.fake);
      expect(report?.blocks).toContain('SKIPPED');
      expect(report?.blocks).toContain('restore 2026-11-20 (U0RESTORER) has held the operations lock');
      expect(existsSync(join(e.config.backupRoot, 'manifests'))).toBe(false);
    } finally {
      await restore.release();
    }
  }, 60_000);

  it('a lock left by a dead worker expires; the next backup runs and reports it', async () => {
    const e = await env();
    await seedMongo(e.config.mongo.url, e.config.mongo.databases[0] as string, 5);
    const dead = JSON.stringify({ holder: 'backup 2026-11-25 (schedule)', since: '2026-11-25T21:00:00.000Z', token: 'dead-token' });
    await e.lockRedis.set(LOCK_KEY, dead, 'PX', 300);
    await e.lockRedis.set('crvs:lock:last-holder', dead);
    const r = await runPipeline(pipelineDeps(e, { lockWaitMs: 5000 }), { runId: 'after-dead', trigger: 'schedule', requestedBy: 'schedule' });
    expect(r.outcome).toBe('ok');
    const [report] = rootMessages(e.fake);
    expect(report?.blocks).toContain('backup 2026-11-25 (schedule)');
    expect(report?.blocks).toContain('stopped without releasing the lock');
  }, 60_000);
});
