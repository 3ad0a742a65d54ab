/**
 * The restore mark: set while a restore is under way, so that no backup, prune or other restore
 * starts on half-restored data — whatever a lock's TTL says. A restore job's mark lives as long
 * as its checkpoint says the restore has not ended (a job suspended for a lost lock or a Redis
 * outage keeps it); a CLI restore's mark is cleared when it ends, and stays if its process dies
 * mid-way, until a restore runs to its end.
 *
 * The key is deliberately NOT under `crvs:restore:`: with the BullMQ prefix `crvs` and the queue
 * name `restore`, `crvs:restore:active` is BullMQ's own list of active jobs.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { BotError } from '../errors.ts';
import { createCheckpoint, outcomeOf } from './checkpoint.ts';

export const RESTORE_ACTIVE_KEY = 'crvs:restore-active';

const markSchema = z.object({
  kind: z.enum(['job', 'cli']),
  requestId: z.string(),
  label: z.string(),
  since: z.string(),
});
export type RestoreMark = z.infer<typeof markSchema>;

/** A restore is under way (or stopped mid-way): the operation `what` does not start. */
export class RestoreActiveError extends BotError {
  readonly mark: RestoreMark;
  constructor(what: string, mark: RestoreMark) {
    const who = mark.kind === 'job' ? `the restore of ${mark.label} (request ${mark.requestId}, since ${mark.since}) has not ended` : `a CLI restore of ${mark.label} began at ${mark.since} and did not finish`;
    const then = mark.kind === 'job' ? 'it resumes by itself; wait for its report in its thread' : `run \`crvs-backup restore ${mark.label} --yes\` (or another set) to its end first`;
    super('restore_active', `Refusing to start ${what}: ${who}, so the data may be half-restored. ${then}.`);
    this.mark = mark;
  }
}

async function read(redis: Redis): Promise<RestoreMark | undefined> {
  const raw = await redis.get(RESTORE_ACTIVE_KEY);
  if (!raw) return undefined;
  const parsed = markSchema.safeParse(JSON.parse(raw));
  return parsed.success ? parsed.data : undefined;
}

/**
 * The mark in force, if any. A job's mark whose checkpoint says the restore ended (or has no
 * checkpoint at all) is stale: it is removed and undefined returned.
 */
export async function activeRestore(redis: Redis): Promise<RestoreMark | undefined> {
  const mark = await read(redis);
  if (!mark || mark.kind === 'cli') return mark;
  const meta = await createCheckpoint(redis, mark.requestId).meta();
  if (meta.outcome !== undefined && outcomeOf(meta) === undefined) return mark;
  await clearRestoreMark(redis, mark.requestId);
  return undefined;
}

/**
 * Throws RestoreActiveError when a restore other than `self` is under way. Called while holding
 * the operations lock. A restore (`self` given) may take over a dead CLI restore's mark: running a
 * restore to its end is what clears it.
 */
export async function assertNoActiveRestore(redis: Redis, what: string, self?: { requestId: string }): Promise<void> {
  const mark = await activeRestore(redis);
  if (!mark) return;
  if (self && (mark.requestId === self.requestId || mark.kind === 'cli')) return;
  throw new RestoreActiveError(what, mark);
}

/** Marks a restore as under way (after assertNoActiveRestore, under the operations lock). */
export async function markRestoreActive(redis: Redis, mark: Omit<RestoreMark, 'since'>): Promise<void> {
  await redis.set(RESTORE_ACTIVE_KEY, JSON.stringify({ ...mark, since: new Date().toISOString() }));
}

const CLAIM = `local v = redis.call('get', KEYS[1]) if v and cjson.decode(v).requestId ~= ARGV[1] then return 0 end redis.call('set', KEYS[1], ARGV[2]) return 1`;

/**
 * Marks a restore as under way unless another's mark is there (a dead CLI restore's, which only a
 * restore that replaces data may take over: markRestoreActive right before its first drop).
 */
export async function claimRestoreMark(redis: Redis, mark: Omit<RestoreMark, 'since'>): Promise<void> {
  await redis.eval(CLAIM, 1, RESTORE_ACTIVE_KEY, mark.requestId, JSON.stringify({ ...mark, since: new Date().toISOString() }));
}

const CLEAR = `local v = redis.call('get', KEYS[1]) if v and cjson.decode(v).requestId == ARGV[1] then redis.call('del', KEYS[1]) return 1 end return 0`;

/** Clears the mark if it is `requestId`'s (another restore's mark stays). */
export async function clearRestoreMark(redis: Redis, requestId: string): Promise<void> {
  await redis.eval(CLEAR, 1, RESTORE_ACTIVE_KEY, requestId);
}
