/**
 * Sets a restore needs ("pins"), kept in Redis so that every retention run — the nightly
 * pipeline's, the CLI's — leaves them alone whichever process asked for the restore:
 *   - a restore being validated and awaiting approval (the set may just have been pulled from the
 *     backup server, with an old creation date that retention would otherwise remove at once);
 *   - an approved restore waiting in the queue (for the lock, behind a running backup);
 *   - a running restore.
 * Each pin expires by itself (its score is its expiry), so a request that is never decided or a
 * job that dies cannot hold a set forever.
 */
import type { Redis } from 'ioredis';

const PINS_KEY = 'crvs:pins';

/** How long an approved restore's set stays pinned if its job never unpins it (the job unpins when it ends). */
export const RESTORE_PIN_MS = 7 * 24 * 3600_000;

function member(label: string, holder: string): string {
  return `${label} ${holder}`;
}

/** Pins `label` for `holder` until now + ttlMs (a later call for the same holder moves the expiry). */
export async function pinLabel(redis: Redis, label: string, holder: string, ttlMs: number, now = Date.now()): Promise<void> {
  await redis.zadd(PINS_KEY, String(now + ttlMs), member(label, holder));
}

/** Removes the pin of `holder` (other holders' pins of the same label stay). */
export async function unpinLabel(redis: Redis, label: string, holder: string): Promise<void> {
  await redis.zrem(PINS_KEY, member(label, holder));
}

/** Labels pinned now; expired pins are dropped on the way. */
export async function pinnedLabels(redis: Redis, now = Date.now()): Promise<Set<string>> {
  await redis.zremrangebyscore(PINS_KEY, '-inf', String(now));
  const members = await redis.zrangebyscore(PINS_KEY, String(now), '+inf');
  return new Set(members.map((m) => m.split(' ')[0] ?? '').filter((l) => l !== ''));
}
