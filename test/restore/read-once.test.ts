/**
 * From `/restore` to the first drop, a set is read in full twice: once for the request (its result
 * on the card), once by the job right before the first destructive step. The approval clicks
 * compare the manifest and each file's size and mtime; the adapters check the files unchanged
 * since the job's verification instead of reading them again.
 * Real Redis (approvals, checkpoints, queue), MongoDB, PostgreSQL, MinIO and a folder, the real
 * Slack receiver with signed requests against the fake Web API, the real core and restore job.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync, statSync, utimesSync, writeSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as Minio from 'minio';
import { Redis } from 'ioredis';
import { MongoClient, type Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupDeps } from '../../src/backup/deps.ts';
import { artifactFiles } from '../../src/backup/identity.ts';
import { readManifest } from '../../src/backup/manifest.ts';
import { runBackup } from '../../src/backup/run-backup.ts';
import type { Config } from '../../src/config.ts';
import { createCore } from '../../src/core/core.ts';
import type { RestoreRequest } from '../../src/core/ports.ts';
import { clickButton, sendSlashCommand, startFakeSlack, waitFor, type FakeMessage, type FakeSlack } from '../../src/fake-slack/index.ts';
import { createHistoryStore } from '../../src/history/history.ts';
import { createLogger } from '../../src/log.ts';
import { createQueues, createRedis, type Queues } from '../../src/queue/queues.ts';
import { createCheckpoint } from '../../src/restore/checkpoint.ts';
import { RestoreFailedError, runRestoreJob } from '../../src/restore/restore-job.ts';
import { createSlackApp, type SlackSurface } from '../../src/slack/app.ts';
import { APPROVAL_ACTIONS } from '../../src/slack/blocks/approval-card.ts';
import { createAdapters } from '../../src/stores/registry.ts';
import { seedPostgres } from '../../scripts/seed/postgres.ts';
import { postgresFingerprint } from '../contract/pg-fingerprint.ts';
import { testConfig } from '../helpers/env.ts';
import { pgQuery, uniqueDb } from '../helpers/postgres.ts';
import { dropMongo, recordingPoster, seedMongo, snapshotMongo, testDatabases } from './helpers.ts';

const TOKEN = 'xoxb-read-once';
const SECRET = `signing-${randomBytes(8).toString('hex')}`;
const CHANNEL = 'COPSREAD1';
const USERS = { operator: 'UOPERREAD', approverA: 'UAPPRREAA', approverB: 'UAPPRREAB' };

interface World {
  config: Config;
  fake: FakeSlack;
  surface: SlackSurface;
  target: { url: string; signingSecret: string };
  redis: Redis;
  lockRedis: Redis;
  queues: Queues;
  backup: BackupDeps;
  minio: Minio.Client;
  label: string;
  /** Every file of the set (path relative to the backup root). */
  files: string[];
  /** Full reads of a set's files, in order, with when they began. */
  reads: Array<{ path: string; at: number }>;
}

let w: World;
const dbs = testDatabases();
const bucket = `readonce-${randomBytes(3).toString('hex')}`;
let folder = '';

/** What the stores hold now, as a user would compare it. */
async function liveState(): Promise<unknown> {
  const objects: string[] = [];
  for await (const o of w.minio.listObjectsV2(bucket, '', true)) objects.push(`${o.name} ${o.size}`);
  const folderFiles: string[] = [];
  for (const name of (await readdir(folder)).sort()) folderFiles.push(`${name}=${await readFile(join(folder, name), 'utf8')}`);
  return { mongo: (await snapshotMongo(w.config.mongo.url, dbs)).data, postgres: await postgresFingerprint(w.config), minio: objects.sort(), folder: folderFiles };
}

/** Changes every store the way a day of work would. */
async function mutateAll(tag: string): Promise<void> {
  const client = await MongoClient.connect(w.config.mongo.url);
  try {
    await client.db(dbs[0] as string).collection('Patient').updateOne({ _id: 'p1' } as Document, { $set: { name: `changed ${tag}` } });
    await client.db(dbs[1] as string).collection('Task').updateOne({ _id: `added-${tag}` } as Document, { $set: { status: 'DECLARED' } }, { upsert: true });
  } finally {
    await client.close();
  }
  await pgQuery(w.config, w.config.postgres.databases[0] as string, `CREATE TABLE IF NOT EXISTS app.later_${tag} (n int); INSERT INTO app.later_${tag} VALUES (1)`);
  await w.minio.putObject(bucket, `later-${tag}.txt`, Buffer.from('added after the set'));
  await writeFile(join(folder, 'b.txt'), `changed ${tag}`);
}

/** `/restore <label>` as the operator; the card once posted. */
async function requestRestore(): Promise<FakeMessage> {
  const before = w.fake.messages.length;
  const asked = await sendSlashCommand(w.fake, w.target, { command: '/restore', text: w.label, user: USERS.operator, channel: CHANNEL });
  expect(asked.status).toBe(200);
  const card = await waitFor(() => w.fake.messages.slice(before).find((m) => m.text.startsWith(`Restore request ${w.label}`)), 60_000, 'approval card');
  await waitFor(() => w.fake.ephemerals.slice(-5).find((e) => e.user === USERS.operator && e.text.includes('Approval requested')), 10_000, 'requester confirmation');
  return card;
}

async function approve(card: FakeMessage, user: string): Promise<void> {
  const res = await clickButton(w.fake, w.target, { user, channel: card.channel, ts: card.ts, actionId: APPROVAL_ACTIONS.approve });
  expect(res.status).toBe(200);
}

function cardNow(card: FakeMessage): string {
  return JSON.stringify(w.fake.message(card.channel, card.ts)?.blocks ?? []);
}

/** Both approvals; the restore job the second one queued. */
async function approved(card: FakeMessage): Promise<RestoreRequest> {
  await approve(card, USERS.approverA);
  await waitFor(() => cardNow(card).includes('1 of 2'), 10_000, 'one approval');
  await approve(card, USERS.approverB);
  await waitFor(() => cardNow(card).includes('*Approved* by'), 10_000, 'the approved card');
  const job = await waitFor(async () => (await w.queues.restore.getJobs(['waiting', 'prioritized', 'delayed'])).find((j) => j.data.report.threadTs === card.ts), 10_000, 'the queued restore');
  return job.data as RestoreRequest;
}

function readsOf(path: string, from = 0): number[] {
  return w.reads.filter((r) => r.path === path && r.at >= from).map((r) => r.at);
}

beforeAll(async () => {
  folder = await mkdtemp(join(process.env['TMPDIR'] ?? '/tmp', 'read-once-'));
  await writeFile(join(folder, 'a.txt'), 'first file');
  await writeFile(join(folder, 'b.txt'), 'second file');
  const fake = await startFakeSlack({ botToken: TOKEN, users: Object.entries(USERS).map(([name, id]) => ({ id, name })) });
  const config = testConfig({
    OPENCRVS_VERSION: 'v1.9',
    BACKUP_STORES: 'mongo,postgres,minio,folders',
    MONGO_DATABASES: dbs.join(','),
    POSTGRES_DATABASES: uniqueDb('events'),
    POSTGRES_RESTORE_SCHEMAS: 'all',
    MINIO_BUCKETS: bucket,
    BACKUP_FOLDERS: folder,
    REDEPLOY_AFTER_RESTORE: 'false',
    BACKUP_SERVER_HOST: '',
    SLACK_MODE: 'http',
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: fake.apiUrl,
    SLACK_OPERATORS: USERS.operator,
    SLACK_APPROVERS: `${USERS.approverA},${USERS.approverB}`,
  });
  const prefix = `t-read-${randomBytes(4).toString('hex')}`;
  const redis = createRedis(config.redisUrl);
  const lockRedis = new Redis(config.redisUrl, { keyPrefix: `${prefix}:`, maxRetriesPerRequest: null });
  const queues = createQueues(redis, prefix);
  const reads: World['reads'] = [];
  const logger = createLogger('silent');
  const backup: BackupDeps = { config, logger, adapters: createAdapters(config, logger), botVersion: 'test', onFullRead: (path) => reads.push({ path, at: Date.now() }) };
  const u = new URL(config.minio.url);
  const minio = new Minio.Client({ endPoint: u.hostname, port: Number(u.port), useSSL: false, accessKey: config.minio.accessKey, secretKey: config.minio.secretKey });

  // The live data, and the set of it.
  await seedMongo(config.mongo.url, dbs);
  await seedPostgres(config, { scale: 1, seed: 11 });
  await minio.makeBucket(bucket);
  for (let i = 0; i < 6; i += 1) await minio.putObject(bucket, `docs/${i}.txt`, Buffer.from(`document ${i}`));
  const label = `set-${randomBytes(3).toString('hex')}`;
  const made = await runBackup(backup, { label, requestedBy: 'U0SEEDER' });
  expect(made.ok, JSON.stringify(made.manifest.stores)).toBe(true);
  const manifest = (await readManifest(config.backupRoot, label))?.manifest;
  const files = (manifest?.artifacts ?? []).flatMap((a) => artifactFiles(a).map((f) => f.path));
  expect(files.length).toBeGreaterThanOrEqual(4);

  const core = createCore({ backup, queues, redis: lockRedis, history: createHistoryStore(redis, prefix), offsite: undefined });
  const surface = createSlackApp({ config, core, redis, logger, listen: { host: '127.0.0.1', port: 0 }, redisPrefix: prefix, sweepIntervalMs: 500 });
  await surface.start();
  const target = { url: `http://127.0.0.1:${surface.port()}/slack/events`, signingSecret: SECRET };
  w = { config, fake, surface, target, redis, lockRedis, queues, backup, minio, label, files, reads };
}, 240_000);

afterAll(async () => {
  if (!w) return;
  await w.surface.stop().catch(() => undefined);
  await w.fake.close();
  await w.queues.restore.obliterate({ force: true }).catch(() => undefined);
  await w.queues.close();
  await Promise.allSettled([...w.backup.adapters.values()].map((a) => a.close()));
  await dropMongo(w.config.mongo.url, dbs).catch(() => undefined);
  await pgQuery(w.config, 'postgres', `DROP DATABASE IF EXISTS "${w.config.postgres.databases[0] as string}" WITH (FORCE)`).catch(() => undefined);
  const keys: string[] = [];
  for await (const o of w.minio.listObjectsV2(bucket, '', true)) if (o.name) keys.push(o.name);
  if (keys.length > 0) await w.minio.removeObjects(bucket, keys);
  await w.minio.removeBucket(bucket).catch(() => undefined);
  w.redis.disconnect();
  w.lockRedis.disconnect();
  await rm(folder, { recursive: true, force: true });
});

describe('reads of a set on the way to the first drop', () => {
  it('request → two approvals → job: each file read in full exactly twice before the first drop (request, job), and the data is the set again', { timeout: 300_000 }, async () => {
    const before = await liveState();
    await mutateAll('1');
    expect(await liveState()).not.toEqual(before);

    const asked = Date.now();
    const card = await requestRestore();
    expect(cardNow(card)).toContain('0 of 2');
    const requested = Date.now();
    const req = await approved(card);
    const clicked = Date.now();
    for (const f of w.files) expect(readsOf(f, asked), `${f} at the request`).toHaveLength(1);
    // The clicks compared sizes and modification times: nothing was read.
    expect(w.reads.filter((r) => r.at > requested && r.at <= clicked)).toEqual([]);

    const poster = recordingPoster();
    const done = await runRestoreJob({ backup: w.backup, redis: w.lockRedis, poster, lockWaitMs: 10_000 }, req);
    expect(done.outcome, poster.all()).toBe('done');
    expect(await liveState()).toEqual(before);

    // The job's one full read came after the safety backup and right before the first store was restored.
    const steps = await createCheckpoint(w.lockRedis, req.requestId).steps();
    const safetyDone = steps.get('safety-backup')?.finishedAt ?? Infinity;
    const firstRestore = Math.min(...[...steps].filter(([name]) => name.startsWith('restore:')).map(([, rec]) => rec.startedAt ?? Infinity));
    expect(steps.get('verify-full')?.state).toBe('done');
    for (const f of w.files) {
      const at = readsOf(f, asked);
      expect(at, `${f}: full reads from the request to the end of the restore`).toHaveLength(2);
      expect(at[0]).toBeLessThanOrEqual(requested);
      expect(at[1]).toBeGreaterThanOrEqual(safetyDone);
      expect(at[1]).toBeLessThanOrEqual(firstRestore);
    }
    expect(poster.all()).toContain('Verify the set in full');
  });

  it('a file whose modification time changed after the request voids the approval at the click, without reading the set', { timeout: 120_000 }, async () => {
    const card = await requestRestore();
    const requested = Date.now();
    const file = w.files.find((f) => f.startsWith('postgres/') && f.endsWith('.dump')) as string;
    const st = statSync(join(w.config.backupRoot, file));
    // Same bytes, touched (a copy over it, a restore of the backup disk): not the file that was verified.
    utimesSync(join(w.config.backupRoot, file), st.atime, new Date(st.mtimeMs + 60_000));
    await approve(card, USERS.approverA);
    await waitFor(() => cardNow(card).includes('*Void*'), 10_000, 'the void card');
    expect(cardNow(card)).toContain(`files changed after the request was verified (${file}: modified at`);
    expect(w.reads.filter((r) => r.at > requested)).toEqual([]);
    expect((await w.queues.restore.getJobs(['waiting', 'prioritized', 'delayed'])).filter((j) => j.data.report.threadTs === card.ts)).toEqual([]);
  });

  it('bytes changed after the request with the same size and mtime: the clicks cannot see it, the job refuses at its full verification and drops nothing', { timeout: 300_000 }, async () => {
    const archive = w.files.find((f) => f.startsWith('mongo/')) as string;
    const abs = join(w.config.backupRoot, archive);
    // A whole-millisecond mtime, so that it can be put back exactly after the change.
    const mtime = new Date(Math.floor(statSync(abs).mtimeMs) - 3_600_000);
    utimesSync(abs, mtime, mtime);
    await mutateAll('3');
    const changed = await liveState();
    const asked = Date.now();
    const card = await requestRestore();

    // One byte in the middle of the compressed data, same size, mtime put back.
    const size = statSync(abs).size;
    const fd = openSync(abs, 'r+');
    try {
      const one = Buffer.alloc(1);
      readSync(fd, one, 0, 1, Math.floor(size / 2));
      one[0] = (one[0] ?? 0) ^ 0xff;
      writeSync(fd, one, 0, 1, Math.floor(size / 2));
    } finally {
      closeSync(fd);
    }
    utimesSync(abs, mtime, mtime);
    expect(statSync(abs).mtimeMs).toBe(mtime.getTime());

    const req = await approved(card);
    const poster = recordingPoster();
    const err = await runRestoreJob({ backup: w.backup, redis: w.lockRedis, poster, lockWaitMs: 10_000 }, req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestoreFailedError);
    expect((err as RestoreFailedError).refused).toBe(true);
    const report = poster.messages.at(-1)?.text ?? '';
    expect(report).toContain('refused at step "Verify the set in full": nothing was touched');
    expect(report).toContain(`${archive}: checksum mismatch`);
    for (const store of ['mongo', 'postgres', 'minio', 'folders']) expect(report).toContain(`*${store}*: not touched`);
    // Nothing was dropped: every store holds what it held before the restore was asked for.
    expect(await liveState()).toEqual(changed);
    const steps = await createCheckpoint(w.lockRedis, req.requestId).steps();
    expect(steps.get('safety-backup')?.state).toBe('done');
    expect([...steps.keys()].filter((s) => s.startsWith('restore:'))).toEqual([]);
    expect(readsOf(archive, asked)).toHaveLength(2);
  });
});
