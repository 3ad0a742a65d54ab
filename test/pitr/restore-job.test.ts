/**
 * A restore to a moment through the restore job (the same job and thread as any restore): the
 * safety backup first, PostgreSQL to the moment (its step in the thread), then the other stores —
 * here a folder — from the nightly set taken before the moment.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { createCommandRedis } from '../../src/queue/queues.ts';
import { runRestoreJob } from '../../src/restore/restore-job.ts';
import { createRuntime, type Runtime } from '../../src/runtime.ts';
import { testConfig } from '../helpers/env.ts';
import { recordingPoster } from '../restore/helpers.ts';
import { startPrivateCluster, type PrivateCluster } from './cluster.ts';
import { tellStory, type Story } from './scenario.ts';

let cluster: PrivateCluster;
let config: Config;
let redis: Redis;
let story: Story;
let rt: Runtime;
let folder: string;

beforeAll(async () => {
  cluster = await startPrivateCluster('job');
  folder = mkdtempSync(join(cluster.dir, 'vsexport-'));
  mkdirSync(join(folder, 'sub'));
  writeFileSync(join(folder, 'sub', 'export.csv'), 'as in the nightly set\n');
  config = testConfig(cluster.env({ BACKUP_STORES: 'postgres,folders', BACKUP_FOLDERS: folder, REDEPLOY_AFTER_RESTORE: 'false' }));
  redis = createCommandRedis(config.redisUrl);
  story = await tellStory(cluster, config, { stores: ['postgres', 'folders'] });
  await story.service.stop();
  rt = createRuntime(config, createLogger('silent'));
}, 400_000);

afterAll(async () => {
  await story?.service.stop().catch(() => undefined);
  await rt?.close();
  redis?.disconnect();
  await cluster?.remove();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

describe('the restore job, to a moment', () => {
  it('restores PostgreSQL to the moment and the other stores from the nightly set before it, after a safety backup', async () => {
    writeFileSync(join(folder, 'sub', 'export.csv'), 'changed after the set\n');
    const poster = recordingPoster();
    const requestId = `pitr-job-${Date.now().toString(36)}`;
    const out = await runRestoreJob(
      { backup: rt.deps, redis, poster, lockWaitMs: 180_000 },
      { requestId, label: story.label, manifestSha256: story.manifestSha256, requestedBy: 'U1', approvedBy: ['U2', 'U3'], report: { channel: 'C1', threadTs: '1.1' }, at: story.target.toISOString() },
    );
    expect(out.outcome).toBe('done');
    expect(out.safetyLabel).toMatch(/^pre-restore-/);
    const rows = (await cluster.query<{ id: number }>('pitrdb', 'SELECT id FROM app.rows ORDER BY id')).map((r) => r.id);
    expect(rows).toEqual([1]);
    expect(readFileSync(join(folder, 'sub', 'export.csv'), 'utf8')).toBe('as in the nightly set\n');
    expect(poster.all()).toMatch(/PostgreSQL restored to \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(UTC\) from the base backup of .*The other stores come from the nightly set/);
  }, 600_000);
});
