/**
 * OpenCRVS's auth and events services cannot run here: a loopback HTTP server plays the three
 * endpoints of the reindex as OpenCRVS documents them (token, trigger, status list), for the tests
 * and for the console's rehearsal. Everything the bot does over HTTP against it is real.
 */
import { createServer, type Server } from 'node:http';

export interface ReindexPlay {
  /** Token requests refused (503) before one is given. */
  authDownFor?: number;
  /** The status answered at each poll after the trigger (the last one repeats). */
  runs?: Array<'none' | { status: 'running' | 'completed' | 'failed'; processed: number; error?: string }>;
}

export interface OpencrvsStandIn {
  url: string;
  triggers: number;
  unauthorised: number;
  close(): Promise<void>;
}

export async function startReindexStandIn(play: ReindexPlay): Promise<OpencrvsStandIn> {
  let tokenCalls = 0;
  let polls = 0;
  let triggeredAt = '';
  const state = { url: '', triggers: 0, unauthorised: 0 };
  const server: Server = createServer((req, res) => {
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
      const runs = play.runs ?? ['none'];
      const step = runs[Math.min(polls, runs.length - 1)] ?? 'none';
      polls += 1;
      // An old run (before the trigger) is always listed: it must not be taken for ours.
      const old = { timestamp: '2026-01-01T00:00:00.000Z', status: 'completed', progress: { processed: 5 } };
      if (step === 'none') return json(200, [old]);
      return json(200, [old, { timestamp: triggeredAt, status: step.status, progress: { processed: step.processed }, ...(step.error ? { error_message: step.error } : {}) }]);
    }
    json(404, {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  state.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return Object.assign(state, {
    close: () => new Promise<void>((r) => server.close(() => r())),
  });
}
