/** BotCore over real Redis, MongoDB and the backup server (sshd): sets, validation, restore jobs, history. */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/core.ts';
import { createOffsiteCopier } from '../../src/pipeline/offsite-adapter.ts';
import { runPipeline } from '../../src/pipeline/run-pipeline.ts';
import { servicesEnv } from '../helpers/env.ts';
import { makeEnv, seedMongo, type Env } from './helpers.ts';

const envs: Env[] = [];
afterEach(async () => {
  await Promise.all(envs.splice(0).map((e) => e.close()));
});

describe('BotCore', () => {
  it('validates a set for restore (also one only on the backup server), compares counts, and enqueues one restore per request', async () => {
    const s = servicesEnv();
    const e = await makeEnv({ BACKUP_SERVER_HOST: s['BACKUP_SERVER_HOST'] ?? '' });
    envs.push(e);
    const db = e.config.mongo.databases[0] as string;
    await seedMongo(e.config.mongo.url, db, 20);
    const offsite = createOffsiteCopier(e.config, e.backup.logger);
    const core = createCore({ backup: e.backup, queues: e.queues, redis: e.lockRedis, history: e.history, offsite });
    const run = (label: string): ReturnType<typeof runPipeline> =>
      runPipeline(
        { backup: e.backup, redis: e.lockRedis, history: e.history, offsite, reporter: undefined, nextRun: async () => undefined, lockWaitMs: 1000, offsiteTimeoutMs: 60_000 },
        { runId: `core-${label}`, trigger: 'manual', requestedBy: 'U1', label },
      );
    expect((await run('2026-03-01-010000')).outcome).toBe('ok');
    expect((await run('remote-only')).outcome).toBe('ok');

    // A date names that day's set; counts now vs in the set (30 records: 20 + 10).
    await seedMongo(e.config.mongo.url, db, 2);
    const v = await core.validateForRestore('2026-03-01');
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.set.label).toBe('2026-03-01-010000');
    expect(v.set.complete).toBe(true);
    expect(v.comparison).toEqual([{ store: 'mongo', inSet: 30, current: 33 }]);

    // Unknown label: problems and the nearest labels.
    const bad = await core.validateForRestore('2026-03-02');
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.nearest).toContain('2026-03-01-010000');

    // Only on the backup server: listed as remote, pulled and verified on validation.
    await rm(join(e.config.backupRoot, 'manifests', 'remote-only.json'));
    await rm(join(e.config.backupRoot, 'mongo', `${db}-remote-only.gz`));
    expect((await core.listSets()).find((x) => x.label === 'remote-only')?.location).toBe('remote');
    const remote = await core.validateForRestore('remote-only');
    expect(remote.ok, JSON.stringify(remote)).toBe(true);
    expect((await core.listSets()).find((x) => x.label === 'remote-only')?.location).toBe('both');

    // Any number of approvals at once: one job, exactly one caller told it was created.
    const req = { requestId: 'rq-1', label: v.set.label, manifestSha256: v.set.manifestSha256 ?? '', requestedBy: 'U1', approvedBy: ['U2', 'U3'], report: { channel: 'C1', threadTs: '1.1' } };
    const results = await Promise.all([core.enqueueRestore(req), core.enqueueRestore(req), core.enqueueRestore(req)]);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.jobId)).size).toBe(1);
    expect(await e.queues.restore.getJobs(['wait', 'delayed', 'active', 'prioritized'])).toHaveLength(1);

    const history = await core.history(10);
    expect(history.map((h) => h.label)).toEqual(['remote-only', '2026-03-01-010000']);
    expect(history.every((h) => h.outcome === 'ok')).toBe(true);
  }, 120_000);
});
