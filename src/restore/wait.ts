/** Bounded, cancellable waiting for the restore steps (every wait has a deadline). */
import { BotError, TimeoutError } from '../errors.ts';

/** The job was cancelled (worker shutting down): not a failure, the job resumes later. */
export class InterruptedError extends BotError {
  constructor(what: string) {
    super('interrupted', `${what} was interrupted (the worker is stopping); it resumes when the worker is back`);
  }
}

/** Sleeps `ms`, or rejects with InterruptedError as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new InterruptedError('a wait'));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new InterruptedError('a wait'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Calls `check` every `pollMs` until it returns true; TimeoutError after `timeoutMs`.
 * A check that throws ends the wait with its error.
 */
export async function pollUntil(what: string, timeoutMs: number, pollMs: number, signal: AbortSignal | undefined, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    const left = deadline - Date.now();
    if (left <= 0) throw new TimeoutError(what, timeoutMs);
    await sleep(Math.min(pollMs, left), signal);
  }
}
