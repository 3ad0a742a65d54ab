/** A restore paused (not ended) because its lock was lost or Redis stopped answering. */
import { BotError } from '../errors.ts';

/**
 * The restore stopped before a destructive step without ending: the operations lock was lost or
 * Redis did not answer. Nothing more was changed; the job is put back in its queue and resumes at
 * the same checkpointed step under a new lock.
 */
export class RestoreSuspendedError extends BotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('restore_suspended', message, 1, options);
  }
}

/** Errors of a Redis connection that is down or restarting (ioredis's texts), as opposed to a failed step. */
const REDIS_OUTAGE = /Connection is closed|max retries per request|Command timed out|ECONNREFUSED|ECONNRESET|Stream isn't writeable|LOADING|READONLY|redis_unreachable/i;

/** True for an error that says Redis is unavailable (the restore waits for it instead of failing). */
export function isRedisOutage(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return REDIS_OUTAGE.test(err.message) || (err.cause !== undefined && isRedisOutage(err.cause));
}
