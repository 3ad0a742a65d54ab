/**
 * Local retention on real sets (MongoDB + MinIO of the harness, Redis for the pins): old files go,
 * but never the last backup of a store, nor a set that a restore request or a restore job needs.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'minio';
import { MongoClient } from 'mongodb';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupDeps } from '../../src/backup/deps.ts';
import { pinLabel, pinnedLabels, unpinLabel } from '../../src/backup/pins.ts';
import { pruneLocal } from '../../src/backup/retention.ts';
import { runBackup } from '../../src/backup/run-backup.ts';
import { verifySet } from '../../src/backup/verify-set.ts';
import type { Config } from '../../src/config.ts';
import { createCore } from '../../src/core/core.ts';
import { createHistoryStore } from '../../src/history/history.ts';
import { createLogger } from '../../src/log.ts';
import { localRetentionStep } from '../../src/pipeline/steps.ts';
import { createQueues, createRedis } from '../../src/queue/queues.ts';
import { createAdapters } from '../../src/stores/registry.ts';
import type { StoreName } from '../../src/stores/types.ts';
import { testConfig } from '../helpers/env.ts';

const DAY = 24 * 3600_000;
const T0 = Date.parse('2026-01-01T01:00:00Z');

let redis: Redis;
const closers: Array<() => Promise<unknown>> = [];

beforeAll(() => {
  // A private key space: pins of this test are nobody else's.
  redis = new Redis(testConfig().redisUrl, { keyPrefix: `t-ret-${randomBytes(4).toString('hex')}:` });
});

afterAll(async () => {
  for (const c of closers.splice(0)) await c().catch(() => undefined);
  redis.disconnect();
});

async function world(): Promise<{ config: Config; deps: (day: number) => BackupDeps; bucket: string; db: string }> {
  const id = randomBytes(3).toString('hex');
  const db = `ret${id}`;
  const bucket = `ret-${id}`;
  const config = testConfig({ BACKUP_STORES: 'mongo,minio', MONGO_DATABASES: db, MINIO_BUCKETS: bucket, RETENTION_DAYS: '7' });
  const mongo = new MongoClient(config.mongo.url);
  await mongo.db(db).collection('Patient').insertMany([{ n: 1 }, { n: 2 }, { n: 3 }]);
  await mongo.close();
  const url = new URL(config.minio.url);
  const s3 = new Client({ endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey: config.minio.accessKey, secretKey: config.minio.secretKey });
  await s3.makeBucket(bucket);
  await s3.putObject(bucket, 'birth-certificate.pdf', Buffer.from('the only copy of a scanned document'));
  const adapters = createAdapters(config, createLogger('silent'));
  closers.push(async () => {
    await Promise.allSettled([...adapters.values()].map((a) => a.close()));
    const c = new MongoClient(config.mongo.url);
    await c.db(db).dropDatabase();
    await c.close();
  });
  const deps = (day: number): BackupDeps => ({ config, logger: createLogger('silent'), adapters, botVersion: 'test', now: () => new Date(T0 + day * DAY) });
  return { config, deps, bucket, db };
}

async function backup(deps: BackupDeps, label: string, stores?: StoreName[]): Promise<void> {
  const out = await runBackup(deps, { label, stores, requestedBy: 'U0TEST' });
  expect(out.ok, JSON.stringify(out.manifest.stores)).toBe(true);
}

describe('local retention', () => {
  it('keeps the last MinIO backup when only smaller (mongo-only) sets followed it', async () => {
    const w = await world();
    await backup(w.deps(0), 'full-day0');
    await backup(w.deps(5), 'mongo-day5', ['mongo']);
    await backup(w.deps(10), 'mongo-day10', ['mongo']);

    const r = await pruneLocal(w.deps(20), { pinned: new Set() });
    // The day-5 set is old and nothing depends on it: it goes.
    expect(r.deletedSets).toEqual(['mongo-day5']);
    expect(existsSync(join(w.config.backupRoot, 'mongo', `${w.db}-mongo-day5.gz`))).toBe(false);
    // Day 10 is the newest complete set; day 0 holds the only MinIO backup: both stay restorable.
    expect(r.held).toContain('mongo-day10: the newest complete set');
    expect(r.held).toContain('full-day0: the newest backup of minio');
    expect((await verifySet(w.deps(20), 'full-day0')).problems).toEqual([]);
    expect(existsSync(join(w.config.backupRoot, 'minio', `${w.bucket}-full-day0.tar.gz`))).toBe(true);
  });

  it('keeps a set a restore request or an approved restore needs, in the nightly step too, and prunes it once released', async () => {
    const w = await world();
    await backup(w.deps(0), 'old-day0');
    await backup(w.deps(1), 'old-day1');
    await backup(w.deps(30), 'new-day30');
    const qRedis = createRedis(w.config.redisUrl);
    const queues = createQueues(qRedis, `t-ret-${randomBytes(3).toString('hex')}`);
    closers.push(async () => {
      await queues.restore.obliterate({ force: true });
      await queues.close();
      qRedis.disconnect();
    });
    const core = createCore({ backup: w.deps(30), queues, redis, history: createHistoryStore(redis, 'h'), offsite: undefined });

    // An operator asks for old-day0 (validation pins it until the approval expires); old-day1 was
    // approved and waits for the lock behind the nightly backup.
    expect((await core.validateForRestore('old-day0')).ok).toBe(true);
    await core.enqueueRestore({ requestId: 'rq-old1', label: 'old-day1', manifestSha256: '0'.repeat(64), requestedBy: 'U1', approvedBy: ['U2'], report: { channel: 'C1', threadTs: '1.1' } });
    expect([...(await pinnedLabels(redis))].sort()).toEqual(['old-day0', 'old-day1']);

    const nightly = await localRetentionStep({
      backup: w.deps(31), redis, history: createHistoryStore(redis, 'h'), offsite: undefined, reporter: undefined,
      nextRun: async () => undefined, lockWaitMs: 0, offsiteTimeoutMs: 1000,
    }, async () => undefined);
    expect(nightly.errors).toEqual([]);
    expect(nightly.removed).toEqual([]);
    for (const label of ['old-day0', 'old-day1']) expect((await verifySet(w.deps(31), label)).problems, label).toEqual([]);

    // Pins expire: a week later nothing holds the old sets any more.
    const later = Date.now() + 8 * DAY;
    expect((await pinnedLabels(redis, later)).size).toBe(0);
    const r = await pruneLocal(w.deps(40), { pinned: await pinnedLabels(redis, later) });
    expect(r.deletedSets.sort()).toEqual(['old-day0', 'old-day1']);
  });

  it('a pin held by a running restore survives other pins of the same set being removed', async () => {
    await pinLabel(redis, 'shared-set', 'restore-request', 60_000);
    await pinLabel(redis, 'shared-set', 'rq-run', 60_000);
    await unpinLabel(redis, 'shared-set', 'restore-request');
    expect(await pinnedLabels(redis)).toContain('shared-set');
  });
});
