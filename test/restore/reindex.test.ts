/**
 * The v1.9+ search reindex after a restore. OpenCRVS's auth and events services cannot run here,
 * so a small HTTP server on loopback plays their three endpoints as OpenCRVS documents them
 * (token, trigger, status list); everything the bot does over HTTP is real.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runReindex, ReindexError } from '../../src/restore/reindex.ts';
import { startReindexStandIn, type OpencrvsStandIn, type ReindexPlay } from '../../scripts/console/reindex-player.ts';

let standIn: OpencrvsStandIn | undefined;
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

async function opencrvs(play: ReindexPlay): Promise<OpencrvsStandIn> {
  standIn = await startReindexStandIn(play);
  return standIn;
}


const base = { timeoutMs: 10_000, pollMs: 50, requestTimeoutMs: 2000 };

describe('reindex after a restore', () => {
  it('waits for the auth service, triggers once, follows the progress of its own run to completed', async () => {
    const o = await opencrvs({ authDownFor: 2, runs: ['none', { status: 'running', processed: 120 }, { status: 'running', processed: 480 }, { status: 'completed', processed: 910 }] });
    const progress: Array<{ status: string; processed: number }> = [];
    const r = await runReindex({ ...base, authUrl: o.url, eventsUrl: o.url, onProgress: (p) => progress.push(p) });
    expect(r.processed).toBe(910);
    expect(o.triggers).toBe(1);
    expect(o.unauthorised).toBe(0);
    expect(progress.filter((p) => p.status === 'waiting')).toHaveLength(2);
    expect(progress.filter((p) => p.status === 'running').map((p) => p.processed)).toEqual([120, 480]);
  });

  it("a failed run is reported with OpenCRVS's reason", async () => {
    const o = await opencrvs({ runs: [{ status: 'running', processed: 10 }, { status: 'failed', processed: 12, error: 'index events_v2 missing' }] });
    await expect(runReindex({ ...base, authUrl: o.url, eventsUrl: o.url })).rejects.toThrow(/failed after 12 documents: index events_v2 missing/);
  });

  it('a run that never ends stops the watch at the timeout, saying it may still be running', async () => {
    const o = await opencrvs({ runs: [{ status: 'running', processed: 1 }] });
    const err = await runReindex({ ...base, timeoutMs: 400, authUrl: o.url, eventsUrl: o.url }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReindexError);
    expect((err as Error).message).toMatch(/did not finish within .* may still be running/);
  });

  it('an auth service that never answers: no trigger, a bounded wait, a clear error', async () => {
    const o = await opencrvs({ authDownFor: 1000 });
    await expect(runReindex({ ...base, timeoutMs: 300, authUrl: o.url, eventsUrl: o.url })).rejects.toThrow(/Reindex not started within .*auth service answered 503/);
    expect(o.triggers).toBe(0);
  });
});
