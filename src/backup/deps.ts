/** What the backup/verify/restore functions need, built once in main.ts (or by a test). */
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { StoreAdapter, StoreName } from '../stores/types.ts';
import { TimeoutError } from '../errors.ts';

export interface BackupDeps {
  config: Config;
  logger: Logger;
  /** One adapter per configured store. */
  adapters: Map<StoreName, StoreAdapter>;
  botVersion: string;
  now?: () => Date;
  /**
   * Told each time a verification reads a file of a set in full (its path relative to the backup
   * root): by verifySet, and by an adapter's own checks before it drops a store. Lets the number
   * of full reads on the way to a drop be measured (test/restore/read-once.test.ts, bench).
   */
  onFullRead?: (path: string) => void;
}

/** How long, by default, timed-out work is given to stop after its signal aborted. */
export const DEFAULT_TIMEOUT_GRACE_MS = 30_000;

export interface TimeoutOptions {
  /**
   * After the time is up and the signal has aborted: how long to wait for `fn` to settle before
   * rejecting (default DEFAULT_TIMEOUT_GRACE_MS; 0 rejects at once, for read-only work).
   */
  graceMs?: number;
  /** Told when `fn` is still running at the end of the grace period (a Logger fits). */
  logger?: { warn(fields: Record<string, unknown>, msg: string): void };
}

const TIMED_OUT: unique symbol = Symbol('timed out');

function sleep(ms: number): { done: Promise<void>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return { done, cancel: () => clearTimeout(timer) };
}

/**
 * Runs `fn` bounded by `ms`; the signal given to `fn` aborts when the time is up. The rejection
 * then waits (bounded by the grace period) until `fn` has settled: a caller typically releases the
 * shared lock next, and must not do so while a store is still being written.
 */
export async function withTimeout<T>(
  what: string,
  ms: number,
  parent: AbortSignal | undefined,
  fn: (signal: AbortSignal) => Promise<T>,
  opts: TimeoutOptions = {},
): Promise<T> {
  const graceMs = opts.graceMs ?? DEFAULT_TIMEOUT_GRACE_MS;
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(parent?.reason);
  if (parent?.aborted) onAbort();
  else parent?.addEventListener('abort', onAbort, { once: true });
  const timer = sleep(ms);
  let work: Promise<T>;
  try {
    work = fn(controller.signal);
  } catch (err) {
    timer.cancel();
    parent?.removeEventListener('abort', onAbort);
    throw err;
  }
  try {
    const first = await Promise.race([work.then((value) => ({ value })), timer.done.then((): typeof TIMED_OUT => TIMED_OUT)]);
    if (first !== TIMED_OUT) return first.value;
  } finally {
    timer.cancel();
    parent?.removeEventListener('abort', onAbort);
  }
  const err = new TimeoutError(what, ms);
  controller.abort(err);
  if (graceMs <= 0) throw err;
  const grace = sleep(graceMs);
  const stopped = await Promise.race([work.then(() => true, () => true), grace.done.then(() => false)]);
  grace.cancel();
  if (!stopped) {
    opts.logger?.warn({ what, timeoutMs: ms, graceMs }, 'timed-out work was cancelled but had not stopped when the grace period ended');
    throw new TimeoutError(`${what} (still running ${Math.round(graceMs / 1000)} s after it was cancelled)`, ms);
  }
  throw err;
}
