/**
 * Job schedulers, upserted at every start-up under stable ids: a restart (or two bots starting at
 * once) updates the one scheduler instead of adding another, and a changed cron takes effect.
 */
import type { Config } from '../config.ts';
import { DEADMAN_SCHEDULER_ID, NIGHTLY_SCHEDULER_ID } from './names.ts';
import type { Queues } from './queues.ts';

export const DEFAULT_DEADMAN_EVERY_MS = 5 * 60_000;

export interface SchedulerOptions {
  /** How often the dead-man check runs (default 5 minutes). */
  deadmanEveryMs?: number;
}

export async function upsertSchedulers(queues: Queues, config: Pick<Config, 'cron' | 'timeZone'>, opts: SchedulerOptions = {}): Promise<void> {
  await queues.backup.upsertJobScheduler(
    NIGHTLY_SCHEDULER_ID,
    { pattern: config.cron, tz: config.timeZone },
    { name: 'nightly', data: { trigger: 'schedule', requestedBy: 'schedule' } },
  );
  await queues.deadman.upsertJobScheduler(
    DEADMAN_SCHEDULER_ID,
    { every: opts.deadmanEveryMs ?? DEFAULT_DEADMAN_EVERY_MS },
    { name: 'check', data: { reason: 'schedule' } },
  );
}

/** When the nightly backup runs next, from the scheduler itself (undefined when none is set). */
export async function nextNightlyRun(queues: Queues): Promise<Date | undefined> {
  const s = await queues.backup.getJobScheduler(NIGHTLY_SCHEDULER_ID);
  return s?.next ? new Date(s.next) : undefined;
}

/** Adds the start-up dead-man check (one per start; the repeatable check follows every few minutes). */
export async function enqueueStartupDeadmanCheck(queues: Queues, now: Date = new Date()): Promise<void> {
  await queues.deadman.add('check', { reason: 'startup' }, { jobId: `deadman-startup-${now.getTime()}` });
}
