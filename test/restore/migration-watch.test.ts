/**
 * The migration watch on REAL Swarm task states of the test stack's migration service (harness
 * engine, no stand-in): a failing migration's restart loop, a Rejected task, a watch that times
 * out on a slow migration, and a service that never appears. The service really runs: a failing
 * one exits 1 and Swarm restarts it (restart_policy on-failure).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { createSwarmPlatform } from '../../src/platform/index.ts';
import { createCheckpoint } from '../../src/restore/checkpoint.ts';
import { createChangelogReader, MigrationError, watchMigrations } from '../../src/restore/migrations.ts';
import { testConfig } from '../helpers/env.ts';
import { migrationControl, removeStack, stackEnv, stackName } from '../helpers/swarm.ts';
import { managerExec, recordingPoster, testDatabases } from './helpers.ts';

let redis: Redis;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(() => {
  redis = new Redis(testConfig().redisUrl, { maxRetriesPerRequest: null });
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

afterAll(async () => {
  await redis?.quit();
});

/** Deploys a fresh stack through the platform (as the restore's redeploy does) and watches its migrations. */
async function watch(opts: { control?: { fail?: boolean; delayMs?: number }; image?: string; env?: Record<string, string>; service?: string; startGraceMs?: number }): Promise<{ err: unknown; thread: string; cfg: Config; ms: number }> {
  const stack = stackName();
  const dbs = testDatabases();
  migrationControl(stack, { databases: dbs, ...opts.control });
  const cfg = testConfig({
    MONGO_DATABASES: dbs.join(','),
    ...stackEnv(stack, { image: opts.image }),
    MIGRATION_POLL_SECONDS: '0.5',
    MIGRATION_PROGRESS_SECONDS: '1',
    MIGRATION_MAX_FAILED_TASKS: '3',
    ...(opts.service ? { MIGRATION_SERVICE: opts.service } : {}),
    ...opts.env,
  });
  cleanups.push(() => removeStack(stack));
  const platform = createSwarmPlatform({ exec: managerExec(cfg), config: cfg.restore, pollMs: 300 });
  await platform.redeploy({ timeoutMs: 60_000 });
  const changelog = createChangelogReader(cfg.mongo.url, dbs, 10_000);
  cleanups.push(() => changelog.close());
  const poster = recordingPoster();
  const checkpoint = createCheckpoint(redis, `watch-${randomBytes(6).toString('hex')}`);
  const started = Date.now();
  const err = await watchMigrations({ platform, config: cfg.restore, changelog, poster, checkpoint, logger: createLogger('silent'), startGraceMs: opts.startGraceMs }).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { err, thread: poster.all(), cfg, ms: Date.now() - started };
}

describe('migration watch on a real swarm', () => {
  it('stops at a failing migration restart loop (Swarm restarts it on failure) and says so', async () => {
    const { err, thread } = await watch({ control: { fail: true, delayMs: 0 } });
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as Error).message).toMatch(/_migration is in a restart loop: \d+ failed tasks \(newest: .*; last error: task: non-zero exit \(1\)\)/);
    expect(thread).toContain('Migrations: restart loop — stopped waiting');
  });

  it('reports a Rejected migration task (its image is not on the node)', async () => {
    const { err, thread } = await watch({ image: 'crvs-test/absent:1' });
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as Error).message).toMatch(/Rejected/);
    expect((err as Error).message).toContain('No such image: crvs-test/absent:1');
    expect(thread).toMatch(/Rejected/);
  });

  it('gives up on a slow migration when the watch times out, naming the task state', async () => {
    // 0.002 h = 7.2 s; the migration pauses 10 min before its first step.
    const { err, ms } = await watch({ control: { delayMs: 600_000 }, env: { MIGRATION_TIMEOUT_HOURS: '0.002' } });
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as Error).message).toMatch(/^Migrations did not finish within 7\.2 s \(now: Running /);
    expect(ms).toBeLessThan(20_000);
  });

  it('says so when the migration service never appears', async () => {
    const { err } = await watch({ service: 'nostack_migration', startGraceMs: 2000 });
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as Error).message).toBe('nostack_migration has no task: the migration service never started.');
  });
});
