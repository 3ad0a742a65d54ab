/**
 * Starts the BullMQ workers (one file per processor) and the schedulers. main.ts calls
 * startSchedulers() then startWorkers(); both are safe to call on every start-up.
 */
import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../src/log.ts';
import { userMessage } from '../src/errors.ts';
import { redactText } from '../src/redact.ts';
import { QUEUE_NAMES } from '../src/queue/names.ts';
import type { Queues } from '../src/queue/queues.ts';
import { enqueueStartupDeadmanCheck, upsertSchedulers, type SchedulerOptions } from '../src/queue/scheduler.ts';
import type { RestoreJobData } from '../src/queue/schemas.ts';
import type { Config } from '../src/config.ts';
import type { DeadmanDeps } from '../src/deadman/check.ts';
import { createBackupProcessor, type BackupJobDeps } from './backup.ts';
import { createDeadmanProcessor } from './deadman.ts';

/** BullMQ's reason for a job that stalled more than maxStalledCount times. */
export const STALLED_OUT = 'job stalled more than allowable limit';

/** The restore processor (jobs/restore.ts, written separately) has this shape. */
export type RestoreProcessor = (job: Job<RestoreJobData>, token?: string, signal?: AbortSignal) => Promise<unknown>;

export interface WorkerDeps {
  /** A connection with maxRetriesPerRequest: null (createRedis in src/queue/queues.ts). */
  connection: Redis;
  queues: Queues;
  logger: Logger;
  backup: BackupJobDeps;
  deadman: DeadmanDeps;
  /** jobs/restore.ts's processor; without it restore jobs wait in their queue. */
  restore?: RestoreProcessor;
  /** How soon a restore job of a dead worker is seen as stalled (tests shorten it); default LONG_JOB's. */
  restoreStall?: { lockDurationMs: number; stalledIntervalMs: number; maxStalledCount?: number };
  /** Reports a restore job BullMQ failed for stalling too often (jobs/restore.ts's reportStalledOut). */
  onRestoreStalledOut?: (job: Job<RestoreJobData>) => Promise<void>;
}

export interface Workers {
  close(): Promise<void>;
}

/**
 * Long jobs: BullMQ renews a job's lock every lockDuration/2 while the process lives; if the
 * process dies the job is seen as stalled after stalledInterval and retried once.
 */
const LONG_JOB = { concurrency: 1, lockDuration: 120_000, stalledInterval: 60_000, maxStalledCount: 1 } as const;

type Processor<J, R> = (job: J, token?: string, signal?: AbortSignal) => Promise<R>;

/**
 * BullMQ keeps a failed job's message and stack in Redis for anyone with access to read. A driver
 * error can quote a connection URL, so both are scrubbed in place: the same error object (its class
 * decides retries, delays and cancellation) goes on to BullMQ, only without the secret.
 */
export function scrubFailures<J, R>(processor: Processor<J, R>): Processor<J, R> {
  return async (job, token, signal) => {
    try {
      return await processor(job, token, signal);
    } catch (err) {
      if (err instanceof Error) {
        try {
          err.message = redactText(err.message);
          if (err.stack) err.stack = redactText(err.stack);
        } catch {
          /* a frozen error: BullMQ gets it as it is */
        }
      }
      throw err;
    }
  };
}

export function startWorkers(deps: WorkerDeps): Workers {
  const common = { connection: deps.connection, prefix: deps.queues.prefix };
  const workers: Worker[] = [
    new Worker(QUEUE_NAMES.backup, scrubFailures(createBackupProcessor(deps.backup)), { ...common, ...LONG_JOB }),
    new Worker(QUEUE_NAMES.deadman, scrubFailures(createDeadmanProcessor(deps.deadman)), { ...common, concurrency: 1 }),
  ];
  // A restore cut short by a crash resumes at its checkpointed step (src/restore/checkpoint.ts):
  // done steps are skipped, a store that was being restored is reloaded from the verified set.
  let restoreWorker: Worker | undefined;
  if (deps.restore) {
    const rs = deps.restoreStall;
    const stall = rs ? { lockDuration: rs.lockDurationMs, stalledInterval: rs.stalledIntervalMs, ...(rs.maxStalledCount !== undefined ? { maxStalledCount: rs.maxStalledCount } : {}) } : {};
    const worker = new Worker<RestoreJobData>(QUEUE_NAMES.restore, scrubFailures(deps.restore), { ...common, ...LONG_JOB, maxStalledCount: 3, ...stall });
    const onStalledOut = deps.onRestoreStalledOut;
    if (onStalledOut) {
      // BullMQ fails such a job without running the processor: the thread and card hear it from here.
      worker.on('failed', (job, err) => {
        if (!job || err.message !== STALLED_OUT) return;
        onStalledOut(job).catch((e: unknown) => deps.logger.error({ jobId: job.id, err: userMessage(e) }, 'stalled restore not reported'));
      });
    }
    restoreWorker = worker;
    workers.push(restoreWorker);
  }
  for (const w of workers) {
    w.on('failed', (job, err) => deps.logger.error({ queue: w.name, jobId: job?.id, err: userMessage(err) }, 'job failed'));
    w.on('error', (err) => deps.logger.error({ queue: w.name, err: userMessage(err) }, 'worker error'));
  }
  return {
    async close() {
      // An hours-long migration watch must not hold up a shutdown: cancelled, the restore job is
      // put back in its queue and resumes at the same step when the bot starts again.
      restoreWorker?.cancelAllJobs('the bot is shutting down');
      await Promise.allSettled(workers.map((w) => w.close()));
    },
  };
}

export interface SchedulerHandle {
  close(): void;
}

/**
 * Upserts the nightly and dead-man schedulers (stable ids), queues the start-up dead-man check,
 * and re-upserts every `watchdogMs` (default 5 min): if Redis is wiped or a scheduled job is lost
 * while the bot runs, the schedulers come back within minutes instead of at the next restart.
 */
export async function startSchedulers(
  queues: Queues,
  config: Pick<Config, 'cron' | 'timeZone'>,
  opts: SchedulerOptions & { watchdogMs?: number; logger?: Logger } = {},
): Promise<SchedulerHandle> {
  await upsertSchedulers(queues, config, opts);
  await enqueueStartupDeadmanCheck(queues);
  const timer = setInterval(() => {
    upsertSchedulers(queues, config, opts).catch((err: unknown) => opts.logger?.warn({ err: userMessage(err) }, 'scheduler upsert failed'));
  }, opts.watchdogMs ?? 5 * 60_000);
  timer.unref();
  return {
    close() {
      clearInterval(timer);
    },
  };
}
