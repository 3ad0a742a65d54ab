/** Queue names and the stable ids of the job schedulers (an upsert with the same id never duplicates). */
export const QUEUE_NAMES = { backup: 'backup', restore: 'restore', deadman: 'deadman' } as const;

export type QueueKind = keyof typeof QUEUE_NAMES;

/** The nightly backup's scheduler id: stable, so a restart upserts instead of adding another. */
export const NIGHTLY_SCHEDULER_ID = 'nightly-backup';
/** The dead-man check's scheduler id. */
export const DEADMAN_SCHEDULER_ID = 'deadman-check';

/** Default BullMQ key prefix; tests pass a fresh one each. */
export const DEFAULT_PREFIX = 'crvs';
