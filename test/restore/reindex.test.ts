/**
 * The v1.9+ search reindex after a restore. OpenCRVS's auth and events services cannot run here,
 * so a small HTTP server on loopback plays their three endpoints as OpenCRVS documents them
 * (token, trigger, status list); everything the bot does over HTTP is real.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { runReindex, ReindexError } from '../../src/restore/reindex.ts';

interface Play {
  /** Token requests refused (503) before one is given. */
  authDownFor?: number;
  /** Status answers per poll after the trigger. */
  runs?: Array<'none' | { status: 'running' | 'completed' | 'failed'; processed: number; error?: string }>;
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise((r) => server?.close(r));
  server = undefined;
});

async function opencrvs(play: Play): Promise<{ url: string; triggers: number; unauthorised: number }> {
  const state = { url: '', triggers: 0, unauthorised: 0 };
  let tokenCalls = 0;
  let polls = 0;
  let triggeredAt = '';
  server = createServer((req, res) => {
    const json = (code: number, body: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.url === '/internal/reindexing-token') {
      tokenCalls += 1;
      if (tokenCalls <= (play.authDownFor ?? 0)) return json(503, { error: 'starting' });
      return json(200, { token: 'reindex-token-1' });
    }
    if (req.url === '/events/reindex') {
      if (req.headers.authorization !== 'Bearer reindex-token-1') {
        state.unauthorised += 1;
        return json(401, { error: 'unauthorised' });
      }
      if (req.method === 'POST') {
        state.triggers += 1;
        triggeredAt = new Date().toISOString();
        return json(202, {});
      }
      const step = play.runs?.[Math.min(polls, (play.runs?.length ?? 1) - 1)] ?? 'none';
      polls += 1;
      // An old run (before the trigger) is always listed: it must not be taken for ours.
      const old = { timestamp: '2026-01-01T00:00:00.000Z', status: 'completed', progress: { processed: 5 } };
      if (step === 'none') return json(200, [old]);
      return json(200, [old, { timestamp: triggeredAt, status: step.status, progress: { processed: step.processed }, ...(step.error ? { error_message: step.error } : {}) }]);
    }
    json(404, {});
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  const addr = server.address();
  state.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return state;
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
