/**
 * The crash matrix (it supersedes the single-kill worker-crash test): REAL worker processes (crash-worker.ts, built like src/main.ts) SIGKILLed by
 * `--die-at` at each step boundary and in the middle of each step of a restore — safety backup,
 * quiesce, the full verification of the set, the MongoDB restore, stack down, Docker restart, redeploy, migration watch — each time
 * a new worker process resumes; and Redis restarted mid-restore. Every chain of kills ends with
 * the data of the set, one complete safety backup, one Docker restart and one redeploy.
 *
 * One setup is shared by every scenario (one test stack on the harness's real Docker engine, one
 * set, one PRIVATE redis-server with an append-only file: never the harness's shared Redis); each
 * scenario changes the data again and restores it under a new request id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebClient } from '@slack/web-api';
import { Redis } from 'ioredis';
import { MongoClient, type Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest, isComplete } from '../../src/backup/manifest.ts';
import { runBackup } from '../../src/backup/run-backup.ts';
import type { Config } from '../../src/config.ts';
import { startFakeSlack, type FakeSlack } from '../../src/fake-slack/index.ts';
import { createLogger } from '../../src/log.ts';
import { enqueueRestore } from '../../src/queue/producer.ts';
import { createQueues, createRedis, type Queues } from '../../src/queue/queues.ts';
import { RESTORE_ACTIVE_KEY } from '../../src/restore/active.ts';
import { createCheckpoint } from '../../src/restore/checkpoint.ts';
import { createAdapters } from '../../src/stores/registry.ts';
import { FINGERPRINTS } from '../contract/fingerprints.ts';
import { servicesEnv, testConfig } from '../helpers/env.ts';
import { startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.ts';
import { commandCounts, countedStackEnv, deployStack, migrationControl, removeStack, stackName } from '../helpers/swarm.ts';
import { dropMongo, mutateMongo, safetySets, seedMongo, testDatabases } from './helpers.ts';

const WORKER = join(import.meta.dirname, 'crash-worker.ts');
const BOT_TOKEN = `xoxb-matrix-${randomBytes(6).toString('hex')}`;
const CHANNEL = 'C0MATRIX';
/** Bulk records so that the MongoDB step lasts long enough to be killed in the middle of. */
const BULK_DOCS = 20_000;
/** Stall detection of the test's workers (production: 120 s lock, 60 s check). */
const STALL = ['--lock-duration', '4000', '--stalled-interval', '1000', '--suspend-retry', '500'];

let slack: FakeSlack;
let server: PrivateRedis;
let redis: Redis;
let queues: Queues;
let connection: Redis;
let cfg: Config;
let env: Record<string, string>;
let label = '';
let manifestSha256 = '';
let before = '';
let logFile = '';
const stack = { name: stackName(), log: join(tmpdir(), `crvs-matrix-${randomBytes(4).toString('hex')}.log`) };
const dbs = testDatabases();
const children = new Set<ChildProcess>();
const cleanups: Array<() => Promise<void>> = [];
let failures = 0;

async function poll<T>(what: string, timeoutMs: number, everyMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function addBulk(url: string, db: string): Promise<void> {
  const client = await MongoClient.connect(url);
  try {
    const coll = client.db(db).collection('Observation');
    for (let start = 0; start < BULK_DOCS; start += 1000) {
      const docs = Array.from({ length: 1000 }, (_, k) => ({ _id: `o${start + k}`, code: `obs-${(start + k) % 97}`, value: randomBytes(48).toString('hex') }) as Document);
      await coll.insertMany(docs, { ordered: false });
    }
  } finally {
    await client.close();
  }
}

function startWorker(extra: string[]): { child: ChildProcess; exited: Promise<NodeJS.Signals | number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, '--prefix', queues.prefix, ...STALL, ...extra], {
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  const log = createWriteStream(logFile, { flags: 'a' });
  log.write(`--- worker ${extra.join(' ') || '(no kill)'}\n`);
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve(signal ?? code);
    });
  });
  return { child, exited };
}

async function stopWorker(w: ReturnType<typeof startWorker>): Promise<void> {
  w.child.kill('SIGTERM');
  await Promise.race([w.exited, new Promise((r) => setTimeout(r, 15_000))]);
  if (children.has(w.child)) w.child.kill('SIGKILL');
}

/** Changes the data and queues a restore of the set under a new request id, as the approval flow does. */
async function newRequest(): Promise<{ requestId: string; jobId: string; rootTs: string }> {
  await mutateMongo(cfg.mongo.url, dbs);
  expect(await FINGERPRINTS.mongo(cfg)).not.toBe(before);
  const rootTs = (await new WebClient(BOT_TOKEN, { slackApiUrl: slack.apiUrl }).chat.postMessage({ channel: CHANNEL, text: 'Restore approval card' })).ts as string;
  const requestId = `rq-${randomBytes(6).toString('hex')}`;
  const { jobId } = await enqueueRestore(queues, redis, {
    requestId,
    label,
    manifestSha256,
    requestedBy: 'U0REQUESTER',
    approvedBy: ['U0APPROVER1', 'U0APPROVER2'],
    report: { channel: CHANNEL, threadTs: rootTs },
  });
  return { requestId, jobId, rootTs };
}

async function jobEnd(jobId: string): Promise<string> {
  return poll('the restore job to end', 300_000, 250, async () => {
    const s = await (await queues.restore.getJob(jobId))?.getState();
    return s === 'completed' || s === 'failed' ? s : undefined;
  });
}

/** Complete safety backups on disk (a worker killed while writing one leaves an incomplete one). */
async function completeSafetySets(): Promise<string[]> {
  const out: string[] = [];
  for (const l of safetySets(cfg.backupRoot)) {
    const m = await readManifest(cfg.backupRoot, l);
    if (m && isComplete(m.manifest)) out.push(l);
  }
  return out;
}

/**
 * Runs one restore through a chain of workers, each killed at its point; a last worker finishes
 * it. Returns the points at which a worker really died.
 */
async function chain(points: string[]): Promise<string[]> {
  const { requestId, jobId, rootTs } = await newRequest();
  const safetyBefore = (await completeSafetySets()).length;
  const countsBefore = commandCounts(stack.log);
  const died: string[] = [];
  for (const point of points) {
    const w = startWorker(['--max-stalled', '20', '--die-at', point]);
    const how = await Promise.race([w.exited, jobEnd(jobId).then((s) => `job ${s}`)]);
    if (how !== 'SIGKILL') {
      await stopWorker(w);
      break;
    }
    died.push(point);
  }
  const last = startWorker(['--max-stalled', '20']);
  try {
    const state = await jobEnd(jobId);
    const job = await queues.restore.getJob(jobId);
    const workerLog = readFileSync(logFile, 'utf8').slice(-20_000);
    expect(job?.failedReason, workerLog).toBeUndefined();
    expect(state, workerLog).toBe('completed');
  } finally {
    await stopWorker(last);
  }
  // What the operator sees: the set's data, one safety backup, one restart, one redeploy, Done.
  expect(await FINGERPRINTS.mongo(cfg)).toBe(before);
  expect((await completeSafetySets()).length - safetyBefore).toBe(1);
  const counts = commandCounts(stack.log);
  expect({ deploy: counts.deploy - countsBefore.deploy, restart: counts.restart - countsBefore.restart }).toEqual({ deploy: 1, restart: 1 });
  const thread = slack.thread(CHANNEL, rootTs);
  const texts = thread.map((m) => m.text);
  expect(texts.at(-1) ?? '').toMatch(/^Done: restore of set-/);
  expect(texts.at(-1) ?? '').toContain('resumed after a worker restart');
  expect(slack.message(CHANNEL, rootTs)?.text).toContain('Restored — see thread');
  // The store is said to be restored again exactly as often as a kill interrupted its restore.
  const mongoAttempts = (await createCheckpoint(redis, requestId).step('restore:mongo')).attempts;
  expect(texts.filter((t) => t.startsWith('Resumed mongo after a worker restart'))).toHaveLength(mongoAttempts - 1);
  // The status message told of the lock each dead worker left behind.
  const history = thread.flatMap((m) => [JSON.stringify(m.blocks), ...m.edits.map((e) => JSON.stringify(e.blocks))]).join('\n');
  expect(history).toContain('Previous holder of the lock stopped without releasing it');
  expect((await createCheckpoint(redis, requestId).meta()).outcome).toBe('done');
  expect(await redis.exists(RESTORE_ACTIVE_KEY)).toBe(0);
  return died;
}

beforeAll(async () => {
  slack = await startFakeSlack({ botToken: BOT_TOKEN });
  server = await startPrivateRedis();
  const { BACKUP_ROOT: _shared, ...services } = servicesEnv();
  const vars = {
    ...services,
    BACKUP_STORES: 'mongo',
    MONGO_DATABASES: dbs.join(','),
    REDIS_URL: server.url,
    OPERATIONS_LOCK_SECONDS: '5',
    ...countedStackEnv(stack.name, stack.log),
    STACK_DOWN_TIMEOUT_SECONDS: '90',
    MIGRATION_POLL_SECONDS: '0.3',
    MIGRATION_PROGRESS_SECONDS: '1',
    MIGRATION_TIMEOUT_HOURS: '0.02',
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: slack.apiUrl,
    LOG_LEVEL: 'info',
  };
  cfg = testConfig(vars);
  env = { ...vars, BACKUP_ROOT: cfg.backupRoot };
  logFile = join(cfg.backupRoot, 'workers.log');
  migrationControl(stack.name, { databases: dbs, migrations: 0, delayMs: 100 });
  cleanups.push(() => removeStack(stack.name));
  await deployStack(stack.name);
  cleanups.push(async () => {
    await dropMongo(cfg.mongo.url, dbs);
    rmSync(stack.log, { force: true });
    if (failures === 0) rmSync(cfg.backupRoot, { recursive: true, force: true });
  });
  await seedMongo(cfg.mongo.url, dbs);
  await addBulk(cfg.mongo.url, dbs[0] as string);
  before = await FINGERPRINTS.mongo(cfg);
  const adapters = createAdapters(cfg, createLogger('silent'));
  cleanups.push(async () => void (await Promise.allSettled([...adapters.values()].map((a) => a.close()))));
  label = `set-${randomBytes(3).toString('hex')}`;
  const made = await runBackup({ config: cfg, logger: createLogger('silent'), adapters, botVersion: 'test' }, { label, requestedBy: 'U0SEEDER' });
  expect(made.ok).toBe(true);
  manifestSha256 = made.manifestSha256;
  connection = createRedis(server.url);
  redis = new Redis(server.url, { maxRetriesPerRequest: 3 });
  // The Redis restart scenario closes it on purpose: ioredis reconnects by itself.
  redis.on('error', () => undefined);
  queues = createQueues(connection, `matrix-${randomBytes(4).toString('hex')}`);
  cleanups.push(async () => {
    await queues.close();
    connection.disconnect();
    redis.disconnect();
  });
}, 600_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  await server?.close();
  await slack?.close();
});

describe('crash matrix: a worker SIGKILLed at every step of a restore', () => {
  it('at each step boundary: each time a new worker resumes, and the restore ends equal to the set, nothing done twice', { timeout: 600_000 }, async () => {
    const points = ['quiesce=done', 'safety-backup=done', 'verify-full=done', 'restore:mongo=done', 'stack-down=done', 'docker-restart=done', 'deploy=done', 'migrations=done'];
    try {
      const died = await chain(points);
      console.log(`crash matrix, boundaries: ${died.length}/${points.length} kill points resumed to Done`);
      expect(died).toEqual(points);
    } catch (err) {
      failures += 1;
      throw err;
    }
  });

  it('in the middle of each step: the same', { timeout: 600_000 }, async () => {
    const points = ['quiesce=started+300', 'safety-backup=started+300', 'verify-full=started+100', 'restore:mongo=started+400', 'stack-down=started+300', 'docker-restart=started+1500', 'deploy=started', 'migrations=started+300'];
    try {
      const died = await chain(points);
      console.log(`crash matrix, mid-step: ${died.length}/${points.length} kill points resumed to Done`);
      expect(died).toEqual(points);
    } catch (err) {
      failures += 1;
      throw err;
    }
  });

  it('Redis restarted in the middle of the MongoDB step: the restore waits for it and ends equal to the set, never failed', { timeout: 600_000 }, async () => {
    try {
      const { requestId, jobId, rootTs } = await newRequest();
      const countsBefore = commandCounts(stack.log);
      const cp = createCheckpoint(redis, requestId);
      const w = startWorker(['--max-stalled', '20']);
      try {
        await poll('the mongo step to start', 120_000, 5, async () => ((await cp.step('restore:mongo').catch(() => undefined))?.state === 'started' ? true : undefined));
        // Longer than the operations lock's TTL (5 s here): the lock is gone when Redis is back.
        await server.stop();
        await new Promise((r) => setTimeout(r, 8000));
        await server.start();
        const state = await jobEnd(jobId);
        const job = await queues.restore.getJob(jobId);
        expect(job?.failedReason, readFileSync(logFile, 'utf8').slice(-20_000)).toBeUndefined();
        expect(state).toBe('completed');
      } finally {
        await stopWorker(w);
      }
      expect(await FINGERPRINTS.mongo(cfg)).toBe(before);
      const counts = commandCounts(stack.log);
      expect({ deploy: counts.deploy - countsBefore.deploy, restart: counts.restart - countsBefore.restart }).toEqual({ deploy: 1, restart: 1 });
      const texts = slack.thread(CHANNEL, rootTs).map((m) => m.text);
      expect(texts.at(-1) ?? '').toMatch(/^Done: restore of set-/);
      // The operator was told while it happened: the lock could not be renewed, or (when the step
      // ended during the outage and its checkpoint could not be written) the restore was paused.
      const told = texts.filter((t) => t.startsWith('Renewing the operations lock of restore') || t.includes('is paused, not ended'));
      expect(told, texts.join('\n')).not.toEqual([]);
      expect((await completeSafetySets()).length).toBeGreaterThan(0);
    } catch (err) {
      failures += 1;
      throw err;
    }
  });

  it('a job whose workers die more often than maxStalledCount is reported in its thread, its card updated and its set unpinned', { timeout: 600_000 }, async () => {
    try {
      const { requestId, jobId, rootTs } = await newRequest();
      const w = startWorker(['--max-stalled', '0', '--die-at', 'restore:mongo=started+400']);
      expect(await w.exited).toBe('SIGKILL');
      const next = startWorker(['--max-stalled', '0']);
      try {
        expect(await jobEnd(jobId)).toBe('failed');
        expect((await queues.restore.getJob(jobId))?.failedReason).toBe('job stalled more than allowable limit');
        const report = await poll('the report in the thread', 60_000, 250, async () => slack.thread(CHANNEL, rootTs).map((m) => m.text).find((t) => t.includes('stopped unexpectedly')));
        expect(report).toContain('died in the middle of it more often than allowed');
        await poll('the card to say it failed', 60_000, 250, async () => (/failed/i.test(slack.message(CHANNEL, rootTs)?.text ?? '') ? true : undefined));
        await poll('the set to be unpinned', 60_000, 250, async () => ((await redis.zscore('crvs:pins', `${label} ${requestId}`)) === null ? true : undefined));
        expect((await createCheckpoint(redis, requestId).meta()).outcome).toBe('failed');
      } finally {
        await stopWorker(next);
      }
    } catch (err) {
      failures += 1;
      throw err;
    }
  });
});
