/**
 * Staging restores from production's offsite copy: two bot configurations, one backup server (the
 * harness's sshd), the set encrypted in transit. The staging bot's scheduled job pulls production's
 * newest set, decrypts and verifies it, and hands it to the same restore job as /restore — which
 * then restores it onto staging's stores.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import { MongoClient } from 'mongodb';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackupProcessor } from '../../jobs/backup.ts';
import { createRestoreProcessor } from '../../jobs/restore.ts';
import { readManifest } from '../../src/backup/manifest.ts';
import { runBackup } from '../../src/backup/run-backup.ts';
import { verifySet } from '../../src/backup/verify-set.ts';
import type { Config } from '../../src/config.ts';
import type { RestoreRequest } from '../../src/core/ports.ts';
import { createHistoryStore } from '../../src/history/history.ts';
import { createLogger } from '../../src/log.ts';
import { createOffsiteCopier } from '../../src/pipeline/offsite-adapter.ts';
import type { BackupJobData, RestoreJobData } from '../../src/queue/schemas.ts';
import { createAdapters } from '../../src/stores/registry.ts';
import { startFakeSlack, type FakeSlack } from '../../src/fake-slack/index.ts';
import { WebClient } from '@slack/web-api';
import { servicesEnv, testConfig } from '../helpers/env.ts';

const CHANNEL = 'C0STAGING';
const TOKEN = 'xoxb-staging-test';

describe('staging restore from production\'s offsite copy', () => {
  const id = randomUUID().slice(0, 8);
  const db = `stg_${id}`;
  let prod: Config;
  let fake: FakeSlack;
  let mongo: MongoClient;
  let redis: Redis;
  let label: string;
  let prodSha: string;
  let keyDir: string;
  const base = servicesEnv();

  function stagingConfig(extra: Record<string, string>): Config {
    return testConfig({
      BACKUP_STORES: 'mongo',
      MONGO_DATABASES: db,
      BACKUP_SERVER_DIR: prod.backupServer?.dir ?? '',
      OFFSITE_ENCRYPTION_KEY_FILE: prod.encryptionKeyFile ?? '',
      DRILL_SOURCE: 'offsite',
      DEPLOYMENT_NAME: 'farajaland-staging',
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_API_URL: fake.apiUrl,
      SLACK_CHANNEL: CHANNEL,
      REDEPLOY_AFTER_RESTORE: 'false',
      QUIESCE_BEFORE_RESTORE: 'false',
      METRICS: 'off',
      ...extra,
    });
  }

  async function runStaging(config: Config): Promise<{ out: { outcome: string; label: string | undefined; problems: string[] }; requests: RestoreRequest[] }> {
    const requests: RestoreRequest[] = [];
    const logger = createLogger('silent');
    const backup = { config, logger, adapters: createAdapters(config, logger), botVersion: 'test' };
    const processor = createBackupProcessor({
      backup,
      redis,
      history: createHistoryStore(redis, `stg-${id}`),
      offsite: createOffsiteCopier(config, logger),
      slack: new WebClient(TOKEN, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } }),
      nextRun: async () => undefined,
      enqueueRestore: async (r) => {
        requests.push(r);
        return { jobId: r.requestId, created: true };
      },
    });
    try {
      const out = await processor({ id: `nightly-${randomUUID()}`, data: { trigger: 'schedule', requestedBy: 'schedule' } } as unknown as Job<BackupJobData>);
      return { out, requests };
    } finally {
      await Promise.allSettled([...backup.adapters.values()].map((a) => a.close()));
    }
  }

  beforeAll(async () => {
    fake = await startFakeSlack({ botToken: TOKEN });
    keyDir = mkdtempSync(join(base['BACKUP_ROOT'] ?? '/tmp', 'stg-key-'));
    const keyFile = join(keyDir, 'offsite.key');
    writeFileSync(keyFile, `staging test key ${id}\n`, { mode: 0o600 });
    prod = testConfig({ BACKUP_STORES: 'mongo', MONGO_DATABASES: db, BACKUP_SERVER_DIR: `${base['BACKUP_SERVER_DIR'] ?? '/tmp'}/staging-${id}`, OFFSITE_ENCRYPTION_KEY_FILE: keyFile, METRICS: 'off' });
    mongo = new MongoClient(prod.mongo.url, { serverSelectionTimeoutMS: 10_000 });
    await mongo.connect();
    await mongo.db(db).collection('Patient').insertMany(Array.from({ length: 60 }, (_, i) => ({ i, name: `p${i}` })));
    redis = new Redis(prod.redisUrl, { keyPrefix: `stg-${id}:`, maxRetriesPerRequest: 3 });
    // Production: back up, copy offsite (encrypted).
    const logger = createLogger('silent');
    const deps = { config: prod, logger, adapters: createAdapters(prod, logger), botVersion: 'test' };
    const made = await runBackup(deps, { requestedBy: 'test', label: `prod-${id}` });
    label = made.manifest.label;
    const copier = createOffsiteCopier(prod, logger);
    if (!copier) throw new Error('no backup server in the harness');
    const copied = await copier.copySet(label, AbortSignal.timeout(120_000));
    expect(copied.remoteChecksumsOk).toBe(true);
    prodSha = (await readManifest(prod.backupRoot, label))?.sha256 ?? '';
    await Promise.allSettled([...deps.adapters.values()].map((a) => a.close()));
  }, 300_000);

  afterAll(async () => {
    await mongo?.db(db).dropDatabase().catch(() => undefined);
    await mongo?.close();
    redis?.disconnect();
    await fake?.close();
    // The harness's backup server is a local sshd: its folder is on this machine.
    if (prod?.backupServer?.dir) rmSync(prod.backupServer.dir, { recursive: true, force: true });
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  });

  it('without STAGING_AUTO_RESTORE: pulls, decrypts and verifies the set, then asks for /restore', async () => {
    const config = stagingConfig({});
    const { out, requests } = await runStaging(config);
    expect(out).toMatchObject({ outcome: 'ok', label });
    expect(requests).toEqual([]);
    expect(fake.messages.some((m) => m.channel === CHANNEL && m.text.includes(`use \`/restore ${label}\` (two approvals`))).toBe(true);
    const logger = createLogger('silent');
    const adapters = createAdapters(config, logger);
    try {
      expect((await verifySet({ config, logger, adapters, botVersion: 'test' }, label)).problems).toEqual([]);
    } finally {
      await Promise.allSettled([...adapters.values()].map((a) => a.close()));
    }
  }, 300_000);

  it('with STAGING_AUTO_RESTORE on a staging deployment: the restore job restores production\'s set onto staging\'s store', async () => {
    const config = stagingConfig({ STAGING_AUTO_RESTORE: 'true' });
    const { out, requests } = await runStaging(config);
    expect(out).toMatchObject({ outcome: 'ok', label });
    expect(requests).toHaveLength(1);
    const req = requests[0] as RestoreRequest;
    const root = fake.messages.find((m) => m.channel === CHANNEL && m.text.includes(`Staging restore of production's set ${label}`));
    expect(req).toMatchObject({ label, manifestSha256: prodSha, approvedBy: ['STAGING_AUTO_RESTORE'], report: { channel: CHANNEL, threadTs: root?.ts } });

    // Staging's live data has drifted; the same restore job as /restore brings production's set back.
    await mongo.db(db).collection('Patient').insertMany([{ drift: 1 }, { drift: 2 }]);
    const logger = createLogger('silent');
    const backup = { config, logger, adapters: createAdapters(config, logger), botVersion: 'test' };
    try {
      const restore = createRestoreProcessor({ backup, redis, slack: new WebClient(TOKEN, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } }), lockWaitMs: 10_000 });
      await restore({ id: req.requestId, data: req, attemptsStarted: 1 } as unknown as Job<RestoreJobData>);
    } finally {
      await Promise.allSettled([...backup.adapters.values()].map((a) => a.close()));
    }
    expect(await mongo.db(db).collection('Patient').countDocuments()).toBe(60);
    expect(await mongo.db(db).collection('Patient').countDocuments({ drift: { $exists: true } })).toBe(0);
  }, 300_000);
});
