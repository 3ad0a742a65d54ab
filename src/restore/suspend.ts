/** A restore paused (not ended) because its lock was lost or Redis stopped answering. */
import type { Redis } from 'ioredis';
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

/** Texts only ioredis (or Redis itself) produces: the bot's own Redis connection failed. */
const REDIS_ONLY = /Connection is closed|max retries per request|Command timed out|Stream isn't writeable|^LOADING|^READONLY|redis_unreachable/im;
/** Network failures any client can report (a store's too): Redis is to blame only if it does not answer. */
const NETWORK = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE/;

function texts(err: unknown): string {
  if (!(err instanceof Error)) return '';
  return `${err.message}\n${err.cause !== undefined ? texts(err.cause) : ''}`;
}

async function answers(redis: Redis): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const late = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve('no answer'), 5000);
    });
    return (await Promise.race([redis.ping(), late])) === 'PONG';
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * True when `err` means Redis is unavailable (the restore then waits for it instead of failing):
 * an error only a Redis client gives, or a network error while Redis does not answer a ping — a
 * store that refuses connections is a failed step, not a Redis outage.
 */
export async function isRedisOutage(err: unknown, redis: Redis): Promise<boolean> {
  const text = texts(err);
  if (REDIS_ONLY.test(text)) return true;
  if (!NETWORK.test(text)) return false;
  return !(await answers(redis));
}
