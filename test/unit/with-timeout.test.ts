/**
 * withTimeout: when the time is up, the work is cancelled and the caller hears of it only once
 * the work has stopped (bounded by a grace period), so a lock released next never frees a store
 * that is still being written.
 */
import { describe, expect, it } from 'vitest';
import { withTimeout } from '../../src/backup/deps.ts';
import { TimeoutError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A store write that notices cancellation only between steps of `stepMs`, as a real one does. */
async function slowWrite(events: string[], signal: AbortSignal, stepMs: number): Promise<string> {
  for (let step = 1; ; step += 1) {
    await sleep(stepMs);
    events.push(`wrote step ${step}`);
    if (signal.aborted) {
      events.push('stopped');
      throw signal.reason;
    }
  }
}

function warnings(): { warn: (fields: Record<string, unknown>, msg: string) => void; seen: Array<{ fields: Record<string, unknown>; msg: string }> } {
  const seen: Array<{ fields: Record<string, unknown>; msg: string }> = [];
  return { warn: (fields, msg) => seen.push({ fields, msg }), seen };
}

describe('withTimeout', () => {
  it('returns the value of work that ends in time, and passes on its own error', async () => {
    expect(await withTimeout('quick', 1000, undefined, async () => 42)).toBe(42);
    const boom = new Error('boom');
    await expect(withTimeout('failing', 1000, undefined, async () => Promise.reject(boom))).rejects.toBe(boom);
  });

  it('after the time is up, rejects only once the cancelled work has stopped writing', async () => {
    const events: string[] = [];
    const started = Date.now();
    const err = await withTimeout('minio restore', 100, undefined, (signal) => slowWrite(events, signal, 300), { graceMs: 5000 }).catch((e: unknown) => e);
    // The caller would release the lock here.
    events.push('lock released');
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toBe('minio restore did not finish within 0 s');
    expect(events).toEqual(['wrote step 1', 'stopped', 'lock released']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('gives up after the grace period on work that ignores cancellation, says so, and logs it', async () => {
    const log = warnings();
    const started = Date.now();
    let finished = false;
    const err = await withTimeout(
      'influxdb restore',
      100,
      undefined,
      async () => {
        await sleep(1500);
        finished = true;
      },
      { graceMs: 300, logger: log },
    ).catch((e: unknown) => e);
    const ms = Date.now() - started;
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toMatch(/^influxdb restore \(still running 0 s after it was cancelled\)/);
    expect(finished).toBe(false);
    expect(ms).toBeGreaterThanOrEqual(390);
    expect(ms).toBeLessThan(1200);
    expect(log.seen).toHaveLength(1);
    expect(log.seen[0]?.fields).toMatchObject({ what: 'influxdb restore', graceMs: 300 });
  });

  it('rejects at once with a grace period of 0', async () => {
    const started = Date.now();
    await expect(withTimeout('counts', 50, undefined, () => sleep(1000), { graceMs: 0, logger: createLogger('silent') })).rejects.toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('passes a cancel from the caller to the work, also when it came before the start', async () => {
    const parent = new AbortController();
    const events: string[] = [];
    const running = withTimeout('backup', 10_000, parent.signal, (signal) => slowWrite(events, signal, 50));
    parent.abort(new Error('cancelled by the user'));
    await expect(running).rejects.toThrow('cancelled by the user');
    expect(events.at(-1)).toBe('stopped');
    const aborted = AbortSignal.abort(new Error('already cancelled'));
    await expect(withTimeout('backup', 10_000, aborted, (signal) => slowWrite([], signal, 10))).rejects.toThrow('already cancelled');
  });
});
