/**
 * The shared life cycle of a command, wherever it runs: bounded by a timeout and an abort signal,
 * output collected, exit turned into a result or an ExecError.
 */
import type { Readable } from 'node:stream';
import { BotError, ExecError, TimeoutError } from '../errors.ts';
import { capture } from './capture.ts';
import type { RunOptions, RunResult } from './types.ts';
import { MAX_CAPTURE } from './types.ts';

export interface Started {
  /** The local process id (local and docker targets). */
  pid?: number;
  stdout: Readable;
  stderr: Readable;
  /** Resolves with the exit code (null when killed by a signal); rejects when the command cannot start. */
  exited: Promise<number | null>;
  /** Best-effort, idempotent: stops the command and everything it started. */
  kill(): void;
}

/**
 * Waits for a started command within the limits of opts; `display` names it in errors (no secrets),
 * `limitMs` is the limit the caller asked for (shown in a TimeoutError; time already spent connecting is not in opts.timeoutMs).
 */
export async function supervise(started: Started, opts: RunOptions, display: string, limitMs = opts.timeoutMs): Promise<RunResult> {
  let stopReason: Error | undefined;
  const stop = (reason: Error): void => {
    if (stopReason) return;
    stopReason = reason;
    started.kill();
  };
  const out = capture(
    started.stdout,
    started.stderr,
    opts.stdout,
    () => stop(new ExecError(display, null, `stdout is larger than ${MAX_CAPTURE} bytes; stream it instead`)),
    (e) => stop(new ExecError(display, null, `writing its output failed: ${e.message}`)),
  );
  const timer = setTimeout(() => stop(new TimeoutError(`\`${display}\``, limitMs)), opts.timeoutMs);
  const onAbort = (): void => stop(new BotError('aborted', `\`${display}\` was cancelled`));
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const code = await started.exited;
    // Output may still be in flight after the exit; a killed command may leave pipes open, so bound it.
    await Promise.race([out.done, new Promise((r) => setTimeout(r, stopReason ? 2000 : opts.timeoutMs).unref())]);
    if (stopReason) throw stopReason;
    if (code !== 0) throw new ExecError(display, code, out.stderr());
    return { stdout: out.stdout(), stderr: out.stderr(), code };
  } catch (err) {
    // A command that may outlive its stop is worth more than "timed out": say so.
    if (stopReason && !(err instanceof BotError && err.code === 'exec_still_running')) throw stopReason;
    throw err;
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
