/**
 * A REAL crash of the worker during the MongoDB step: the worker runs in its own Node process
 * (crash-worker.ts, built like src/main.ts), is SIGKILLed while the checkpoint says the mongo
 * restore has started, and a second worker process must detect the stalled job, wait out the dead
 * worker's operations lock, resume at that step and finish with the data of the set. Real Redis,
 * MongoDB (FerretDB), harness sshd as manager node with the harness's real Docker engine (a test
 * stack of its own); Slack is faked.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { createWriteStream, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebClient } from '@slack/web-api';
import { Redis } from 'ioredis';
import { MongoClient, type Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../src/backup/run-backup.ts';
import type { Config } from '../../src/config.ts';
import { startFakeSlack, type FakeSlack } from '../../src/fake-slack/index.ts';
import { createLogger } from '../../src/log.ts';
import { enqueueRestore } from '../../src/queue/producer.ts';
import { createQueues, createRedis, type Queues } from '../../src/queue/queues.ts';
import { checkpointKey, createCheckpoint } from '../../src/restore/checkpoint.ts';
import { createAdapters } from '../../src/stores/registry.ts';
import { FINGERPRINTS } from '../contract/fingerprints.ts';
import { servicesEnv, testConfig } from '../helpers/env.ts';
import { commandCounts, countedStackEnv, deployStack, migrationControl, removeStack, runningContainers, stackName } from '../helpers/swarm.ts';
import { dropMongo, mutateMongo, safetySets, seedMongo, testDatabases } from './helpers.ts';

const WORKER = join(import.meta.dirname, 'crash-worker.ts');
const BOT_TOKEN = `xoxb-crash-${randomBytes(6).toString('hex')}`;
const CHANNEL = 'C0RESTORE';
/** Documents added to the seed so the MongoDB step lasts long enough to be killed in. */
const BULK_DOCS = 30_000;
/** Stall detection of the test's workers (production: 120 s lock, 60 s check). */
const STALL = { lockDurationMs: 4000, stalledIntervalMs: 1000 };

let slack: FakeSlack;
const children = new Set<ChildProcess>();
const cleanups: Array<() => Promise<void>> = [];
let passed = false;

beforeAll(async () => {
  slack = await startFakeSlack({ botToken: BOT_TOKEN });
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  await slack?.close();
});

/** The variables both the test and the worker processes load their Config from (BACKUP_ROOT apart: each test has its own). */
function environment(dbs: string[], redisUrl: string, stack: { name: string; log: string }): Record<string, string> {
  const { BACKUP_ROOT: _shared, ...services } = servicesEnv();
  return {
    ...services,
    BACKUP_STORES: 'mongo',
    MONGO_DATABASES: dbs.join(','),
    REDIS_URL: redisUrl,
    ...countedStackEnv(stack.name, stack.log),
    STACK_DOWN_TIMEOUT_SECONDS: '90',
    MIGRATION_POLL_SECONDS: '0.3',
    MIGRATION_PROGRESS_SECONDS: '1',
    MIGRATION_TIMEOUT_HOURS: '0.02',
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: slack.apiUrl,
    LOG_LEVEL: 'info',
  };
}

/** Adds bulk records to the seeded data (an OpenCRVS hearth has many observations). */
async function addBulk(url: string, db: string): Promise<void> {
  const client = await MongoClient.connect(url);
  try {
    const coll = client.db(db).collection('Observation');
    for (let start = 0; start < BULK_DOCS; start += 1000) {
      const docs = Array.from({ length: 1000 }, (_, k) => ({ _id: `o${start + k}`, code: `obs-${(start + k) % 97}`, value: randomBytes(48).toString('hex'), at: new Date(Date.UTC(2024, 0, 1) + k * 1000) }) as Document);
      await coll.insertMany(docs, { ordered: false });
    }
  } finally {
    await client.close();
  }
}

/** Starts a worker process; its output goes to a log file beside the backups (for a failing run). */
function startWorker(env: Record<string, string>, prefix: string, logFile: string): { child: ChildProcess; exited: Promise<NodeJS.Signals | number | null> } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', WORKER, '--prefix', prefix, '--lock-duration', String(STALL.lockDurationMs), '--stalled-interval', String(STALL.stalledIntervalMs)],
    { env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  children.add(child);
  const log = createWriteStream(logFile, { flags: 'a' });
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

async function poll<T>(what: string, timeoutMs: number, everyMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

describe('restore job and a real worker crash', () => {
  it('resumes the MongoDB step in a new worker process after the first one is SIGKILLed, and finishes with the data of the set', { timeout: 300_000 }, async () => {
    const dbs = testDatabases();
    // A Redis database of its own: the dead worker's operations lock (and checkpoints) block nobody else's tests.
    const redisUrl = `${servicesEnv()['REDIS_URL']?.replace(/\/\d*$/, '')}/${randomInt(1, 16)}`;
    const stack = { name: stackName(), log: join(tmpdir(), `crvs-commands-${randomBytes(4).toString('hex')}.log`) };
    const cfg: Config = testConfig(environment(dbs, redisUrl, stack));
    const env = { ...environment(dbs, redisUrl, stack), BACKUP_ROOT: cfg.backupRoot };
    const logFile = join(cfg.backupRoot, 'workers.log');
    // The migration service runs but has nothing new to apply: the fingerprint (changelog included) must equal the set's.
    migrationControl(stack.name, { databases: dbs, migrations: 0, delayMs: 100 });
    cleanups.push(() => removeStack(stack.name));
    await deployStack(stack.name);
    cleanups.push(async () => {
      await dropMongo(cfg.mongo.url, dbs);
      // Kept after a failure: workers.log in it tells what the worker processes did.
      if (passed) rmSync(cfg.backupRoot, { recursive: true, force: true });
    });

    // 1. A set of the seeded data, then the data changed.
    await seedMongo(cfg.mongo.url, dbs);
    await addBulk(cfg.mongo.url, dbs[0] as string);
    const fingerprint = FINGERPRINTS.mongo;
    const before = await fingerprint(cfg);
    const adapters = createAdapters(cfg, createLogger('silent'));
    cleanups.push(async () => void (await Promise.allSettled([...adapters.values()].map((a) => a.close()))));
    const label = `set-${randomBytes(3).toString('hex')}`;
    const made = await runBackup({ config: cfg, logger: createLogger('silent'), adapters, botVersion: 'test' }, { label, requestedBy: 'U0SEEDER' });
    expect(made.ok).toBe(true);
    await mutateMongo(cfg.mongo.url, dbs);
    expect(await fingerprint(cfg)).not.toBe(before);

    // 2. The approved request, queued as the approval flow queues it, on a fresh prefix.
    const rootTs = (await new WebClient(BOT_TOKEN, { slackApiUrl: slack.apiUrl }).chat.postMessage({ channel: CHANNEL, text: 'Restore approval card' })).ts as string;
    const connection = createRedis(redisUrl);
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
    const queues: Queues = createQueues(connection, `crash-${randomBytes(4).toString('hex')}`);
    cleanups.push(async () => {
      await queues.restore.obliterate({ force: true });
      await queues.close();
      connection.disconnect();
      redis.disconnect();
    });
    const requestId = `rq-${randomBytes(6).toString('hex')}`;
    cleanups.push(async () => void (await redis.del(checkpointKey(requestId))));
    const { jobId } = await enqueueRestore(queues, redis, {
      requestId,
      label,
      manifestSha256: made.manifestSha256,
      requestedBy: 'U0REQUESTER',
      approvedBy: ['U0APPROVER1', 'U0APPROVER2'],
      report: { channel: CHANNEL, threadTs: rootTs },
    });
    cleanups.push(async () => void (await redis.del(`${queues.prefix}:restore-request:${jobId}`)));

    // 3. The first worker process, killed as soon as the mongo step has started.
    const cp = createCheckpoint(redis, requestId);
    const first = startWorker(env, queues.prefix, logFile);
    await poll('the mongo step to start', 120_000, 5, async () => ((await cp.step('restore:mongo')).state === 'started' ? true : undefined));
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    // Killed mid-step: the checkpoint still says "started", the safety backup is done.
    expect((await cp.step('restore:mongo')).state).toBe('started');
    expect((await cp.step('safety-backup')).state).toBe('done');
    expect(safetySets(cfg.backupRoot)).toHaveLength(1);
    // OpenCRVS was stopped before the first store was touched; nothing was redeployed yet.
    const stopped = await runningContainers(stack.name);
    for (const s of ['gateway', 'auth', 'workflow', 'events', 'client']) expect(stopped[s] ?? 0).toBe(0);
    expect(commandCounts(stack.log)).toEqual({ deploy: 0, restart: 0 });

    // 4. A second worker process: BullMQ finds the stalled job and the restore resumes.
    const second = startWorker(env, queues.prefix, logFile);
    const state = await poll('the restore job to end', 180_000, 250, async () => {
      const s = await (await queues.restore.getJob(jobId))?.getState();
      return s === 'completed' || s === 'failed' ? s : undefined;
    });
    const job = await queues.restore.getJob(jobId);
    const workerLog = readFileSync(logFile, 'utf8');
    expect(job?.failedReason, workerLog).toBeUndefined();
    expect(state, workerLog).toBe('completed');
    expect(job?.attemptsStarted).toBe(2);

    // 5. What the operator sees: the data of the set, one safety backup, one redeploy, and the thread says why.
    expect(await fingerprint(cfg)).toBe(before);
    expect(safetySets(cfg.backupRoot)).toHaveLength(1);
    expect(commandCounts(stack.log)).toEqual({ deploy: 1, restart: 1 });
    const thread = slack.thread(CHANNEL, rootTs);
    const texts = thread.map((m) => m.text);
    expect(texts.filter((t) => t.startsWith('Resumed mongo after a worker restart'))).toHaveLength(1);
    const summary = texts.at(-1) ?? '';
    expect(summary).toMatch(/^Done: restore of set-/);
    expect(summary).toContain('resumed after a worker restart');
    expect(summary).toContain(safetySets(cfg.backupRoot)[0]);
    // The status message told of the lock the dead worker left behind.
    const history = thread.flatMap((m) => [JSON.stringify(m.blocks), ...m.edits.map((e) => JSON.stringify(e.blocks))]).join('\n');
    expect(history).toContain('Previous holder of the lock stopped without releasing it');
    expect(slack.message(CHANNEL, rootTs)?.text).toContain('Restored — see thread');

    second.child.kill('SIGTERM');
    await Promise.race([second.exited, new Promise((r) => setTimeout(r, 15_000))]);
    passed = true;
  });
});
