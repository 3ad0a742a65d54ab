/**
 * The one lock shared by backups and restores (Redis, token-owned, with a TTL renewed while the
 * holder works). A holder that dies stops renewing: its lock expires and the next taker is told.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { BotError, TimeoutError } from './errors.ts';

export const LOCK_KEY = 'crvs:lock:operations';
const LAST_KEY = 'crvs:lock:last-holder';

export interface LockInfo {
  holder: string;
  since: string;
  token: string;
}

export class LockBusyError extends BotError {
  readonly info: LockInfo;
  constructor(info: LockInfo) {
    super('lock_busy', `Another operation holds the lock: ${info.holder} since ${info.since}`);
    this.info = info;
  }
}

export interface HeldLock {
  info: LockInfo;
  /** Set when the previous holder's lock had expired without release (it died): report it. */
  expiredPrevious: LockInfo | undefined;
  release(): Promise<void>;
}

const RELEASE = `
local n = 0
for i = 1, 2 do
  local v = redis.call('get', KEYS[i])
  if v and cjson.decode(v).token == ARGV[1] then redis.call('del', KEYS[i]) n = n + 1 end
end
return n`;
const RENEW = `local v = redis.call('get', KEYS[1]) if v and cjson.decode(v).token == ARGV[1] then redis.call('pexpire', KEYS[1], ARGV[2]) return 1 end return 0`;

export async function currentLock(redis: Redis): Promise<LockInfo | undefined> {
  const v = await redis.get(LOCK_KEY);
  return v ? (JSON.parse(v) as LockInfo) : undefined;
}

/**
 * Takes the lock for `holder` (e.g. "backup 2026-11-26"), waiting at most `waitMs` (0 = do not
 * wait). The TTL is renewed every ttl/3 until release.
 */
export async function acquireLock(redis: Redis, holder: string, opts: { waitMs: number; ttlMs?: number; pollMs?: number }): Promise<HeldLock> {
  const ttlMs = opts.ttlMs ?? 60_000;
  const info: LockInfo = { holder, since: new Date().toISOString(), token: randomUUID() };
  const deadline = Date.now() + opts.waitMs;
  for (;;) {
    const ok = await redis.set(LOCK_KEY, JSON.stringify(info), 'PX', ttlMs, 'NX');
    if (ok === 'OK') break;
    const other = await currentLock(redis);
    if (Date.now() >= deadline) {
      if (other) throw new LockBusyError(other);
      throw new TimeoutError(`waiting for the operations lock (${holder})`, opts.waitMs);
    }
    await new Promise((r) => setTimeout(r, Math.min(opts.pollMs ?? 1000, Math.max(10, deadline - Date.now()))));
  }
  // The previous holder's record survives its lock's expiry; if it is still there, it never released.
  const lastRaw = await redis.getset(LAST_KEY, JSON.stringify(info));
  const last = lastRaw ? (JSON.parse(lastRaw) as LockInfo) : undefined;
  const expiredPrevious = last && last.token !== info.token ? last : undefined;
  const timer = setInterval(() => {
    redis.eval(RENEW, 1, LOCK_KEY, info.token, String(ttlMs)).catch(() => undefined);
  }, Math.max(1000, Math.floor(ttlMs / 3)));
  timer.unref();
  return {
    info,
    expiredPrevious,
    async release() {
      clearInterval(timer);
      await redis.eval(RELEASE, 2, LOCK_KEY, LAST_KEY, info.token);
    },
  };
}
