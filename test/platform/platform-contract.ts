/**
 * The contract every Platform passes, against a real engine or API server: what the restore job
 * relies on. `setup` deploys a fresh OpenCRVS-shaped stack (or release) and returns the platform
 * for it; `migrations` starts a fresh migration run with a chosen outcome and returns the platform
 * and restore configuration to watch it with the restore job's own watch.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RestoreConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import type { Platform } from '../../src/platform/index.ts';
import { createCheckpoint } from '../../src/restore/checkpoint.ts';
import { beginMigrationWatch, createChangelogReader, MigrationError, watchMigrations } from '../../src/restore/migrations.ts';
import { testConfig } from '../helpers/env.ts';
import { recordingPoster } from '../restore/helpers.ts';

export interface ContractTarget {
  platform: Platform;
  /** The short name of one of platform's service names (e.g. opencrvs_auth → auth, deployment/auth → auth). */
  short(name: string): string;
  /** Running containers (or pods) of the stack, by short service name. */
  running(): Promise<Record<string, number>>;
  /** How many services stackServices() lists while the stack is up. */
  upServices: number;
  cleanup(): Promise<void>;
}

export type MigrationOutcome = 'complete' | 'fail' | 'loop' | 'hang';

export interface MigrationTarget {
  platform: Platform;
  config: RestoreConfig;
  cleanup(): Promise<void>;
}

export interface ContractOptions {
  setup(): Promise<ContractTarget>;
  /** Starts a migration run that ends as `outcome`; the watch's timeout is `timeoutHours`. */
  migrations(outcome: MigrationOutcome, timeoutHours: number): Promise<MigrationTarget>;
  /** The platform restarts a container engine (Docker Swarm); Kubernetes has none. */
  engine: boolean;
}

const APPS = ['auth', 'client', 'events', 'gateway', 'workflow'];
const STORES = ['mongo1', 'elasticsearch', 'influxdb', 'minio', 'postgres'];

export function platformContract(name: string, opts: ContractOptions): void {
  describe(`Platform contract: ${name}`, () => {
    let redis: Redis;
    beforeAll(() => {
      redis = new Redis(testConfig().redisUrl, { maxRetriesPerRequest: null });
    });
    afterAll(async () => {
      await redis?.quit();
    });

    it('lists the application services, stops them (tasks gone) and starts them again', async () => {
      const t = await opts.setup();
      try {
        const apps = await t.platform.applicationServices();
        expect(apps.map((s) => t.short(s.name))).toEqual(APPS);
        expect(apps.every((s) => s.replicas === 1)).toBe(true);
        await t.platform.scale(apps.map((s) => ({ ...s, replicas: 0 })), { timeoutMs: 120_000 });
        const stopped = await t.running();
        for (const s of APPS) expect(stopped[s] ?? 0).toBe(0);
        // The data stores were left alone.
        for (const s of STORES) expect(stopped[s]).toBe(1);
        // What a restore that failed before the redeploy puts back: the recorded counts.
        await t.platform.scale(apps, { timeoutMs: 120_000 });
        const back = await t.running();
        for (const s of APPS) expect(back[s]).toBe(1);
      } finally {
        await t.cleanup();
      }
    });

    it('takes the stack down (application services gone) and redeploys it', async () => {
      const t = await opts.setup();
      try {
        expect((await t.platform.stackServices()).length).toBe(t.upServices);
        await t.platform.stackDown({ timeoutMs: 120_000 });
        expect(await t.platform.stackServices()).toEqual([]);
        const down = await t.running();
        for (const s of APPS) expect(down[s] ?? 0).toBe(0);
        await t.platform.redeploy({ timeoutMs: 120_000 });
        expect((await t.platform.stackServices()).length).toBe(t.upServices);
      } finally {
        await t.cleanup();
      }
    });

    if (opts.engine) {
      it('restarts the engine: it answers again, the node is ready, and its uptime says it restarted', async () => {
        const t = await opts.setup();
        try {
          const engine = t.platform.engine;
          if (!engine) throw new Error(`${name} has no engine`);
          const before = await engine.uptimeMs();
          await new Promise((r) => setTimeout(r, 1100));
          const started = Date.now();
          await engine.restart({ timeoutMs: 120_000 });
          const after = await engine.uptimeMs();
          expect(after).toBeLessThanOrEqual(Date.now() - started + 1500);
          expect(after).toBeLessThan(before + (Date.now() - started));
          await engine.waitReady({ timeoutMs: 10_000 });
          // The swarm survived: the stack is still there.
          expect((await t.platform.stackServices()).length).toBe(t.upServices);
        } finally {
          await t.cleanup();
        }
      });
    }

    /** The restore job's own watch over a fresh migration run; resolves with its error (undefined: done). */
    async function watch(outcome: MigrationOutcome, timeoutHours: number): Promise<{ err: unknown; thread: string; current: string }> {
      const changelog = createChangelogReader(testConfig().mongo.url, [], 10_000);
      const checkpoint = createCheckpoint(redis, `contract-${randomBytes(6).toString('hex')}`);
      const logger = createLogger('silent');
      // As in a restore: the watch begins before the redeploy that starts the migrations.
      await beginMigrationWatch({ checkpoint, changelog, logger });
      const m = await opts.migrations(outcome, timeoutHours);
      try {
        const poster = recordingPoster();
        const result = await watchMigrations({ platform: m.platform, config: m.config, changelog, poster, checkpoint, logger, startGraceMs: 120_000 }).then(
          (r) => ({ err: undefined, current: r.current }),
          (err: unknown) => ({ err, current: '' }),
        );
        return { ...result, thread: poster.all() };
      } finally {
        await changelog.close();
        await m.cleanup();
      }
    }

    it('migrations: watches a run to Complete', async () => {
      const r = await watch('complete', 1);
      expect(r.err).toBeUndefined();
      expect(r.current).toMatch(/^Complete/);
      expect(r.thread).toContain('Migrations: Done');
    });

    it('migrations: stops at a migration that failed, and says which', async () => {
      const r = await watch('fail', 1);
      expect(r.err).toBeInstanceOf(MigrationError);
      // Swarm: a Rejected task (its image is missing; Swarm may retry it into a loop); Kubernetes: a Failed Job.
      expect((r.err as Error).message).toMatch(/Rejected|Job data-migration-analytics: Failed/);
    });

    it('migrations: stops at a migration that keeps failing (a restart loop)', async () => {
      const r = await watch('loop', 1);
      expect(r.err).toBeInstanceOf(MigrationError);
      expect((r.err as Error).message).toMatch(/restart loop/);
    });

    it('migrations: gives up when the run is still going at the timeout, naming what runs', async () => {
      // 0.01 h = 36 s (counted from before the redeploy): the run never ends by itself.
      const r = await watch('hang', 0.01);
      expect(r.err).toBeInstanceOf(MigrationError);
      expect((r.err as Error).message).toMatch(/did not finish within .*\(now: (Running|Job data-migration(-analytics)?: running)/);
    });
  });
}
