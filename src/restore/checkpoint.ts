/**
 * Checkpoints of one restore job in Redis (one hash per request id), so that a worker that dies or
 * restarts resumes at the step it was on instead of repeating — or skipping — a destructive step.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { StoreName } from '../stores/types.ts';

export type StepName = 'verify' | 'verify-full' | 'safety-backup' | 'quiesce' | `restore:${StoreName}` | 'stack-down' | 'docker-restart' | 'deploy' | 'migrations' | 'reindex';
export type StepState = 'pending' | 'started' | 'done' | 'failed';

const stepSchema = z.object({
  state: z.enum(['pending', 'started', 'done', 'failed']),
  startedAt: z.number().optional(),
  finishedAt: z.number().optional(),
  /** Time spent in the step, summed over attempts (a resumed step adds its new attempt). */
  durationMs: z.number().default(0),
  attempts: z.number().default(0),
  counts: z.record(z.number()).optional(),
  note: z.string().optional(),
  /** A restore step that failed before it changed the store (the adapter's own checks refused). */
  untouched: z.boolean().optional(),
});
export type StepRecord = z.infer<typeof stepSchema>;

/** State of the migration watch that must survive a restart of the bot. */
const migrationWatchSchema = z.object({
  startedAt: z.number(),
  /** ts of the one progress message that is edited. */
  messageTs: z.string().optional(),
  /** Applied migrations per database when the watch began. */
  baseline: z.record(z.number()),
});
export type MigrationWatchState = z.infer<typeof migrationWatchSchema>;

const metaSchema = z.object({
  safetyLabel: z.string().optional(),
  /** When the job first started (a resumed job keeps it, for the total duration). */
  startedAt: z.number().optional(),
  statusTs: z.string().optional(),
  outcome: z.enum(['running', 'done', 'failed', 'refused']).optional(),
  /** Text of the final report, returned as is when a finished job is run again. */
  finalText: z.string().optional(),
  /** The step a failed or refused restore stopped at (for the approval card's final state). */
  failedStep: z.string().optional(),
  migration: migrationWatchSchema.optional(),
  /** Replica counts of the application services before the quiesce, recorded before any is scaled. */
  quiesced: z.array(z.object({ name: z.string(), replicas: z.number() })).optional(),
  /** The quiesced services were started again after a failure. */
  putBack: z.boolean().optional(),
});
export type RestoreMeta = z.infer<typeof metaSchema>;

/** Finished checkpoints are kept this long (the audit trail is elsewhere; this is for resumes). */
const TTL_SECONDS = 30 * 24 * 3600;

/** How a restore ended, as the approval card shows it; undefined while it has not ended. */
export type RestoreOutcome = { kind: 'done' } | { kind: 'failed' | 'refused'; step: StepName | undefined };

/** The final outcome recorded in the checkpoint meta, if the restore has ended. */
export function outcomeOf(meta: RestoreMeta): RestoreOutcome | undefined {
  if (meta.outcome === 'done') return { kind: 'done' };
  // failedStep is written only by the restore job, from a StepName.
  if (meta.outcome === 'failed' || meta.outcome === 'refused') return { kind: meta.outcome, step: meta.failedStep as StepName | undefined };
  return undefined;
}

export function checkpointKey(requestId: string): string {
  return `crvs:restore:${requestId}`;
}

/** Checkpoints of one restore request. */
export interface RestoreCheckpoint {
  step(name: StepName): Promise<StepRecord>;
  steps(): Promise<Map<StepName, StepRecord>>;
  /** Marks the step started; `previous` is its state before (started/failed = an interrupted attempt). */
  start(name: StepName): Promise<{ previous: StepState }>;
  done(name: StepName, extra?: { counts?: Record<string, number>; note?: string; durationMs?: number }): Promise<void>;
  fail(name: StepName, note: string): Promise<void>;
  /** Like fail, for a restore step whose store was not changed (its checks refused before any delete). */
  failUntouched(name: StepName, note: string): Promise<void>;
  meta(): Promise<RestoreMeta>;
  setMeta(patch: Partial<RestoreMeta>): Promise<void>;
}

export function createCheckpoint(redis: Redis, requestId: string): RestoreCheckpoint {
  const key = checkpointKey(requestId);

  async function write(field: string, value: unknown): Promise<void> {
    await redis.multi().hset(key, field, JSON.stringify(value)).expire(key, TTL_SECONDS).exec();
  }

  async function step(name: StepName): Promise<StepRecord> {
    const raw = await redis.hget(key, `step:${name}`);
    if (!raw) return { state: 'pending', durationMs: 0, attempts: 0 };
    return stepSchema.parse(JSON.parse(raw));
  }

  return {
    step,
    async steps() {
      const all = await redis.hgetall(key);
      const out = new Map<StepName, StepRecord>();
      for (const [field, raw] of Object.entries(all)) {
        if (field.startsWith('step:')) out.set(field.slice(5) as StepName, stepSchema.parse(JSON.parse(raw)));
      }
      return out;
    },
    async start(name) {
      const before = await step(name);
      await write(`step:${name}`, { ...before, state: 'started', startedAt: Date.now(), finishedAt: undefined, untouched: undefined, attempts: before.attempts + 1 });
      return { previous: before.state };
    },
    async done(name, extra = {}) {
      const before = await step(name);
      const now = Date.now();
      const spent = extra.durationMs ?? (before.startedAt ? now - before.startedAt : 0);
      await write(`step:${name}`, { ...before, state: 'done', finishedAt: now, durationMs: before.durationMs + spent, counts: extra.counts ?? before.counts, note: extra.note ?? before.note });
    },
    async fail(name, note) {
      const before = await step(name);
      const now = Date.now();
      const spent = before.startedAt ? now - before.startedAt : 0;
      await write(`step:${name}`, { ...before, state: 'failed', finishedAt: now, durationMs: before.durationMs + spent, note });
    },
    async failUntouched(name, note) {
      const before = await step(name);
      const now = Date.now();
      const spent = before.startedAt ? now - before.startedAt : 0;
      await write(`step:${name}`, { ...before, state: 'failed', finishedAt: now, durationMs: before.durationMs + spent, note, untouched: true });
    },
    async meta() {
      const raw = await redis.hget(key, 'meta');
      return raw ? metaSchema.parse(JSON.parse(raw)) : {};
    },
    async setMeta(patch) {
      // Read-modify-write is safe: one restore job runs at a time (the operations lock).
      const raw = await redis.hget(key, 'meta');
      const current = raw ? metaSchema.parse(JSON.parse(raw)) : {};
      await write('meta', { ...current, ...patch });
    },
  };
}
