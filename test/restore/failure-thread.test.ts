/**
 * What the restore thread and its approval card tell the operator when a restore fails half-way:
 * the stores were replaced, then the manager node could not be reached for the redeploy. Real
 * servers (Redis, MongoDB); the manager node is a closed loopback port, as when its address or
 * firewall is wrong.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/services/util.ts';
import { runBackup } from '../../src/backup/run-backup.ts';
import type { Config } from '../../src/config.ts';
import type { RestoreRequest } from '../../src/core/ports.ts';
import { createLogger } from '../../src/log.ts';
import { RestoreFailedError, runRestoreJob } from '../../src/restore/restore-job.ts';
import { createAdapters } from '../../src/stores/registry.ts';
import { testConfig } from '../helpers/env.ts';
import { dropMongo, mutateMongo, recordingPoster, safetySets, seedMongo, snapshotMongo, testDatabases } from './helpers.ts';

let redis: Redis;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(() => {
  redis = new Redis(testConfig().redisUrl, { maxRetriesPerRequest: null });
});

afterEach(async () => {
  for (const c of cleanups.splice(0)) await c().catch(() => undefined);
});

afterAll(async () => {
  await redis?.quit();
});

function backupDeps(cfg: Config) {
  const adapters = createAdapters(cfg, createLogger('silent'));
  cleanups.push(async () => {
    await Promise.allSettled([...adapters.values()].map((a) => a.close()));
  });
  return { config: cfg, logger: createLogger('silent'), adapters, botVersion: 'test' };
}

describe('restore thread when the restore fails half-way', () => {
  it('shows the failed step and its error, each store as restored, and the safety backup to undo with', async () => {
    const dbs = testDatabases();
    const closedPort = await freePort();
    const cfg = testConfig({
      BACKUP_STORES: 'mongo',
      MONGO_DATABASES: dbs.join(','),
      MANAGER_PORT: String(closedPort),
      // The manager node is reached first at the stack down here (with the quiesce, a closed port refuses before any store).
      QUIESCE_BEFORE_RESTORE: 'false',
      CONNECT_TIMEOUT_SECONDS: '3',
      STACK_DOWN_TIMEOUT_SECONDS: '10',
      SLACK_ONCALL_GROUP: 'S0ONCALL',
    });
    cleanups.push(() => dropMongo(cfg.mongo.url, dbs));
    await seedMongo(cfg.mongo.url, dbs);
    const inSet = await snapshotMongo(cfg.mongo.url, dbs);
    const label = `fail-${randomBytes(3).toString('hex')}`;
    const made = await runBackup(backupDeps(cfg), { label, requestedBy: 'U0SEEDER' });
    expect(made.ok).toBe(true);
    await mutateMongo(cfg.mongo.url, dbs);

    const req: RestoreRequest = {
      requestId: `rq-${randomBytes(6).toString('hex')}`,
      label,
      manifestSha256: made.manifestSha256,
      requestedBy: 'U0REQUESTER',
      approvedBy: ['U0APPROVER1', 'U0APPROVER2'],
      report: { channel: 'C0RESTORE', threadTs: '1700000000.000001' },
    };
    const poster = recordingPoster();
    // The operations lock is shared with every restore and backup on this Redis: wait for it.
    const err = await runRestoreJob({ backup: backupDeps(cfg), redis, poster, lockWaitMs: 180_000 }, req).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(RestoreFailedError);
    expect((err as RestoreFailedError).refused).toBe(false);
    // The data is the set's: the failure came after the stores were replaced.
    expect((await snapshotMongo(cfg.mongo.url, dbs)).data).toEqual(inSet.data);

    const report = poster.messages.at(-1)?.text ?? '';
    expect(report).toContain(`Restore of ${label} stopped at step "docker stack down"`);
    // The error says what could not be reached, so the operator knows where to look.
    expect(report).toMatch(new RegExp(`127\\.0\\.0\\.1:${closedPort}|ECONNREFUSED|refused`, 'i'));
    expect(report).toContain('*mongo*: restored');
    // Whether OpenCRVS runs at all is the first thing the operator must know.
    expect(report).toContain('OpenCRVS may not be running');
    expect(report).toContain('redeploy by hand with FACTORY_RESET=no');
    const safety = safetySets(cfg.backupRoot);
    expect(safety).toHaveLength(1);
    expect(report).toContain(`\`${safety[0]}\` (restore it to undo)`);

    // Someone is notified: the on-call group, the requester and both approvers are mentioned.
    expect(report).toContain('<!subteam^S0ONCALL> · Requested by <@U0REQUESTER>, approved by <@U0APPROVER1>, <@U0APPROVER2>');
    // The approval card no longer says "queued": it names the step that failed.
    expect(poster.card?.text).toContain('Restore FAILED at docker stack down — see thread');

    // The one status message shows the steps that ran and the one that failed.
    const status = poster.messages[0]?.text ?? '';
    expect(status).toMatch(/✅ Restore mongo .*records\)/);
    expect(status).toContain('❌ docker stack down');
    expect(status).toContain('◻️ Redeploy (FACTORY_RESET=no)');
  }, 300_000);
});
