/**
 * The one lock shared by backups and restores (Redis, token-owned, with a TTL renewed while the
 * holder works). A holder that dies stops renewing: its lock expires and the next taker is told.
 *
 * Fencing: a TTL lock can be lost without the holder noticing (Redis unreachable longer than the
 * TTL, a process paused). So before every destructive step the holder calls `assertHeld(step)`,
 * which checks atomically that the key still carries its token and renews the TTL; otherwise it
 * throws LockLostError and the step does not run. After a successful check the holder owns the
 * lock for a whole TTL, whatever happens to the renewal timer.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { BotError, TimeoutError, userMessage } from './errors.ts';

export const LOCK_KEY = 'crvs:lock:operations';
const LAST_KEY = 'crvs:lock:last-holder';
/** Default TTL (OPERATIONS_LOCK_SECONDS). */
export const DEFAULT_LOCK_TTL_MS = 60_000;

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

/** The operations lock is no longer this holder's: the destructive step `step` was not started. */
export class LockLostError extends BotError {
  readonly step: string;
  constructor(step: string, why: string) {
    super('lock_lost', `Stopped before ${step}: this operation no longer holds the operations lock (${why}), so nothing more was changed`);
    this.step = step;
  }
}

export interface HeldLock {
  info: LockInfo;
  /** Set when the previous holder's lock had expired without release (it died): report it. */
  expiredPrevious: LockInfo | undefined;
  /** Checks (and renews) the lock right before the destructive step `before`; throws LockLostError. */
  assertHeld(before: string): Promise<void>;
  /** Releases the lock; false when it was no longer held by this holder (expired or taken). */
  release(): Promise<boolean>;
}

export interface AcquireOptions {
  waitMs: number;
  ttlMs?: number;
  pollMs?: number;
  /** How often the TTL is renewed (default a third of it). */
  renewMs?: number;
  /** A renewal that failed or found the lock gone: the holder logs it and tells its user. */
  onProblem?: (message: string) => void;
}

/** 1 when the lock was still this holder's (0: it had expired or been taken); the last-holder record goes too. */
const RELEASE = `
local held = 0
local v = redis.call('get', KEYS[1])
if v and cjson.decode(v).token == ARGV[1] then redis.call('del', KEYS[1]) held = 1 end
local l = redis.call('get', KEYS[2])
if l and cjson.decode(l).token == ARGV[1] then redis.call('del', KEYS[2]) end
return held`;
/** 'ok' after renewing; otherwise the key's current value ('' when there is none). */
const RENEW = `
local v = redis.call('get', KEYS[1])
if v and cjson.decode(v).token == ARGV[1] then redis.call('pexpire', KEYS[1], ARGV[2]) return 'ok' end
if v then return v end
return ''`;

export async function currentLock(redis: Redis): Promise<LockInfo | undefined> {
  const v = await redis.get(LOCK_KEY);
  return v ? (JSON.parse(v) as LockInfo) : undefined;
}

function lostWhy(current: string): string {
  if (current === '') return 'it expired';
  try {
    const other = JSON.parse(current) as LockInfo;
    return `it expired and ${other.holder} took it at ${other.since}`;
  } catch {
    return 'another holder has it';
  }
}

/**
 * Takes the lock for `holder` (e.g. "backup 2026-11-26"), waiting at most `waitMs` (0 = do not
 * wait). The TTL is renewed every ttl/3 until release.
 */
export async function acquireLock(redis: Redis, holder: string, opts: AcquireOptions): Promise<HeldLock> {
  const ttlMs = opts.ttlMs ?? DEFAULT_LOCK_TTL_MS;
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
  let lost: string | undefined;
  let failing = false;
  const renew = async (): Promise<string> => String(await redis.eval(RENEW, 1, LOCK_KEY, info.token, String(ttlMs)));
  const timer = setInterval(() => {
    if (lost) return;
    renew().then(
      (r) => {
        if (failing) opts.onProblem?.(`The operations lock of ${holder} is renewed again after Redis errors.`);
        failing = false;
        if (r === 'ok') return;
        lost = lostWhy(r);
        opts.onProblem?.(`The operations lock of ${holder} was lost: ${lost}. Its next destructive step will not run.`);
      },
      (err: unknown) => {
        // Reported once per run of failures, not every ttl/3.
        if (!failing) opts.onProblem?.(`Renewing the operations lock of ${holder} failed (${userMessage(err)}); it expires ${Math.round(ttlMs / 1000)} s after the last renewal unless Redis answers again.`);
        failing = true;
      },
    );
  }, opts.renewMs ?? Math.max(1000, Math.floor(ttlMs / 3)));
  timer.unref();
  return {
    info,
    expiredPrevious,
    async assertHeld(before) {
      let r: string;
      try {
        r = await renew();
      } catch (err) {
        throw new LockLostError(before, `Redis did not answer the lock check: ${userMessage(err)}`);
      }
      if (r !== 'ok') {
        lost = lostWhy(r);
        throw new LockLostError(before, lost);
      }
    },
    async release() {
      clearInterval(timer);
      return Number(await redis.eval(RELEASE, 2, LOCK_KEY, LAST_KEY, info.token)) === 1;
    },
  };
}
