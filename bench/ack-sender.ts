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

/** One request's ack time, and when it was sent (epoch ms, comparable across threads and with the fake Slack's clock). */
export interface AckTiming {
  ms: number;
  sentAt: number;
}

async function send(r: AckRequest): Promise<AckTiming> {
  const ts = String(Math.floor(Date.now() / 1000));
  const signature = `v0=${createHmac('sha256', r.secret).update(`v0:${ts}:${r.body}`).digest('hex')}`;
  const sentAt = Date.now();
  const started = performance.now();
  const res = await fetch(r.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': ts, 'x-slack-signature': signature },
    body: r.body,
    signal: AbortSignal.timeout(10_000),
  });
  await res.text();
  if (res.status !== 200) throw new Error(`the bot answered ${res.status}`);
  return { ms: performance.now() - started, sentAt };
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (batch: AckRequest[]) => {
    Promise.all(batch.map(send)).then(
      (timings) => port.postMessage({ timings }),
      (err: unknown) => port.postMessage({ error: err instanceof Error ? err.message : String(err) }),
    );
  });
}

/**
 * A sender thread; `fire` sends one batch at once and resolves with each request's ack time (ms),
 * `fireTimed` also with when each was sent (to time what arrives at the fake Slack afterwards).
 */
export function startSender(): { fire(batch: AckRequest[]): Promise<number[]>; fireTimed(batch: AckRequest[]): Promise<AckTiming[]>; stop(): Promise<void> } {
  const worker = new Worker(new URL(import.meta.url), { execArgv: ['--import', 'tsx'] });
  const fireTimed = (batch: AckRequest[]): Promise<AckTiming[]> =>
    new Promise((resolve, reject) => {
      worker.once('message', (m: { timings?: AckTiming[]; error?: string }) => (m.timings ? resolve(m.timings) : reject(new Error(m.error ?? 'sender failed'))));
      worker.postMessage(batch);
    });
  return {
    fire: async (batch) => (await fireTimed(batch)).map((t) => t.ms),
    fireTimed,
    stop: async () => {
      await worker.terminate();
    },
  };
}
