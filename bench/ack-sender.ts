/**
 * The load generator of the ack benchmark, in its own thread: Slack's servers are not in the
 * bot's process, so the requests are sent (and their answers read) from another event loop and
 * another core. Receives the signed bodies, fires them all at once, answers each one's time to
 * the full response in ms. Signatures are computed here, as Slack does, not with the bot's code.
 */
import { createHmac } from 'node:crypto';
import { parentPort, Worker } from 'node:worker_threads';

export interface AckRequest {
  url: string;
  secret: string;
  body: string;
}

async function send(r: AckRequest): Promise<number> {
  const ts = String(Math.floor(Date.now() / 1000));
  const signature = `v0=${createHmac('sha256', r.secret).update(`v0:${ts}:${r.body}`).digest('hex')}`;
  const started = performance.now();
  const res = await fetch(r.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': ts, 'x-slack-signature': signature },
    body: r.body,
    signal: AbortSignal.timeout(10_000),
  });
  await res.text();
  if (res.status !== 200) throw new Error(`the bot answered ${res.status}`);
  return performance.now() - started;
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (batch: AckRequest[]) => {
    Promise.all(batch.map(send)).then(
      (ms) => port.postMessage({ ms }),
      (err: unknown) => port.postMessage({ error: err instanceof Error ? err.message : String(err) }),
    );
  });
}

/** A sender thread; `fire` sends one batch at once and resolves with each request's ack time. */
export function startSender(): { fire(batch: AckRequest[]): Promise<number[]>; stop(): Promise<void> } {
  const worker = new Worker(new URL(import.meta.url), { execArgv: ['--import', 'tsx'] });
  return {
    fire: (batch) =>
      new Promise((resolve, reject) => {
        worker.once('message', (m: { ms?: number[]; error?: string }) => (m.ms ? resolve(m.ms) : reject(new Error(m.error ?? 'sender failed'))));
        worker.postMessage(batch);
      }),
    stop: async () => {
      await worker.terminate();
    },
  };
}
