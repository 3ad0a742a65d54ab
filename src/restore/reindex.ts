/**
 * The search reindex of OpenCRVS v1.9+ after a restore (its restore.sh's last step): a token from
 * the auth service's internal endpoint, `POST /events/reindex` on the events service, then
 * `GET /events/reindex` polled until the run started after the trigger is `completed` or `failed`.
 * Every request and the whole wait are bounded; progress (documents processed) is reported.
 *
 * The endpoints are inside OpenCRVS's overlay network (`http://auth:4040`, `http://events:5555`):
 * reachable by a bot that runs as a Swarm service on that network; otherwise REINDEX_COMMAND runs
 * the deployment's own reindex script on the manager node instead.
 */
import { z } from 'zod';
import { BotError } from '../errors.ts';

export class ReindexError extends BotError {
  constructor(message: string) {
    super('reindex_failed', message);
  }
}

export interface ReindexOptions {
  authUrl: string;
  eventsUrl: string;
  /** The whole reindex, token included. */
  timeoutMs: number;
  pollMs: number;
  /** One HTTP request. */
  requestTimeoutMs: number;
  signal?: AbortSignal;
  onProgress?: (p: { status: 'waiting' | 'running'; processed: number; elapsedMs: number }) => void;
  now?: () => Date;
}

const runSchema = z.object({
  timestamp: z.string(),
  status: z.enum(['running', 'completed', 'failed']),
  progress: z.object({ processed: z.number() }).partial().optional(),
  error_message: z.string().optional(),
});
const runsSchema = z.array(runSchema);
const tokenSchema = z.object({ token: z.string().min(1) });

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

async function request(url: URL, init: RequestInit, opts: ReindexOptions): Promise<Response> {
  const signals = [AbortSignal.timeout(opts.requestTimeoutMs), ...(opts.signal ? [opts.signal] : [])];
  return fetch(url, { ...init, signal: AbortSignal.any(signals) });
}

/** Runs the reindex to its end; resolves with the documents processed. Throws ReindexError. */
export async function runReindex(opts: ReindexOptions): Promise<{ processed: number; ms: number }> {
  const started = Date.now();
  const deadline = started + opts.timeoutMs;
  const now = opts.now ?? (() => new Date());
  const left = (): number => deadline - Date.now();
  let lastProblem = '';

  // The services were just redeployed: the auth service may need a while to answer.
  let token: string | undefined;
  while (!token && left() > 0 && !opts.signal?.aborted) {
    try {
      const res = await request(new URL('/internal/reindexing-token', opts.authUrl), {}, opts);
      if (res.ok) token = tokenSchema.parse(await res.json()).token;
      else lastProblem = `the auth service answered ${res.status}`;
    } catch (err) {
      lastProblem = `the auth service at ${opts.authUrl} did not answer (${(err as Error).message})`;
    }
    if (!token) {
      opts.onProgress?.({ status: 'waiting', processed: 0, elapsedMs: Date.now() - started });
      await sleep(Math.min(opts.pollMs, Math.max(0, left())), opts.signal);
    }
  }
  if (!token) throw new ReindexError(`Reindex not started within ${Math.round(opts.timeoutMs / 1000)} s: ${lastProblem || 'cancelled'}`);
  const auth = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };

  // Second precision, as OpenCRVS's own script compares: a run stamped at or after the trigger is ours.
  const since = now().toISOString().slice(0, 19);
  const trigger = await request(new URL('/events/reindex', opts.eventsUrl), { method: 'POST', headers: auth, body: JSON.stringify({ waitForCompletion: false }) }, opts).catch((err: unknown) => {
    throw new ReindexError(`The events service at ${opts.eventsUrl} did not take the reindex request: ${(err as Error).message}`);
  });
  if (trigger.status >= 400) throw new ReindexError(`The events service refused the reindex request: ${trigger.status} ${(await trigger.text()).slice(0, 200)}`);

  while (left() > 0 && !opts.signal?.aborted) {
    await sleep(Math.min(opts.pollMs, Math.max(0, left())), opts.signal);
    let runs: z.infer<typeof runsSchema>;
    try {
      const res = await request(new URL('/events/reindex', opts.eventsUrl), { headers: auth }, opts);
      if (!res.ok) {
        lastProblem = `status request answered ${res.status}`;
        continue;
      }
      runs = runsSchema.parse(await res.json());
    } catch (err) {
      lastProblem = `status request failed (${(err as Error).message})`;
      continue;
    }
    const ours = runs.filter((r) => r.timestamp.slice(0, 19) >= since).sort((a, b) => b.timestamp.localeCompare(a.timestamp))[0];
    if (!ours) continue;
    const processed = ours.progress?.processed ?? 0;
    if (ours.status === 'completed') return { processed, ms: Date.now() - started };
    if (ours.status === 'failed') throw new ReindexError(`The reindex failed after ${processed} documents: ${ours.error_message ?? 'no reason given'}`);
    opts.onProgress?.({ status: 'running', processed, elapsedMs: Date.now() - started });
  }
  if (opts.signal?.aborted) throw new ReindexError('The reindex watch was cancelled');
  throw new ReindexError(`The reindex did not finish within ${Math.round(opts.timeoutMs / 60_000)} min${lastProblem ? ` (last: ${lastProblem})` : ''}: it may still be running — check \`GET /events/reindex\``);
}
