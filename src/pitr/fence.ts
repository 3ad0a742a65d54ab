/**
 * Fencing of the destructive phases of a restore to a moment: each phase starts only while the
 * operations lock is still ours. The one place that asks (so that the lock module's own fencing,
 * when it lands, replaces this body and nothing else).
 */
import type { Redis } from 'ioredis';
import { BotError } from '../errors.ts';
import { currentLock, type HeldLock } from '../lock.ts';

export class LockLostError extends BotError {
  constructor(what: string) {
    super('lock_lost', `The operations lock is no longer held by this restore, so it stopped before ${what}. Nothing further was changed.`);
  }
}

/** Throws LockLostError unless `lock` is still the holder of the operations lock. */
export async function assertLockHeld(redis: Redis, lock: HeldLock, what: string): Promise<void> {
  const now = await currentLock(redis);
  if (!now || now.token !== lock.info.token) throw new LockLostError(what);
}
