/**
 * A small client of the InfluxDB 1.x HTTP API (/ping, /query, /write) over fetch. Credentials go in
 * an Authorization header (never in a URL, which may end up in a log). Every call is bounded.
 */
import type { Config } from '../../config.ts';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { z } from 'zod';
import { StoreError } from '../../errors.ts';

export interface InfluxHttpOptions {
  url: string;
  username: string | undefined;
  password: string | undefined;
  /** Bound of a ping or a small query. */
  connectTimeoutMs: number;
  /** Bound of a long query or a write. */
  operationTimeoutMs: number;
}

const seriesSchema = z.object({
  name: z.string().optional(),
  tags: z.record(z.string()).optional(),
  columns: z.array(z.string()),
  values: z.array(z.array(z.unknown())).optional(),
});
const resultSchema = z.object({ error: z.string().optional(), series: z.array(seriesSchema).optional() });
const responseSchema = z.object({ error: z.string().optional(), results: z.array(resultSchema).optional() });

export type InfluxSeries = z.infer<typeof seriesSchema>;

/** Quotes an identifier (database, measurement) for InfluxQL. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export interface InfluxHttp {
  /** The server's version (X-Influxdb-Version); StoreError when it does not answer in time. */
  ping(): Promise<string>;
  /** Runs one statement; returns its series. `write` uses POST (needed for CREATE/DROP). */
  query(q: string, opts?: { db?: string; write?: boolean; long?: boolean }): Promise<InfluxSeries[]>;
  /** Runs one SELECT in chunked mode and hands each series to `onSeries` as it arrives. */
  queryChunked(q: string, db: string, onSeries: (s: InfluxSeries) => void): Promise<void>;
  /** Writes line protocol (ms precision). */
  write(db: string, lines: string): Promise<void>;
}

/** The HTTP client for the configured server (the adapter and the seed use the same one). */
export function influxHttpFor(config: Config): InfluxHttp {
  return createInfluxHttp({
    url: config.influx.url,
    username: config.influx.username,
    password: config.influx.password,
    connectTimeoutMs: config.connectTimeoutMs,
    operationTimeoutMs: config.storeTimeoutMs,
  });
}

export function createInfluxHttp(o: InfluxHttpOptions): InfluxHttp {
  const base = o.url.replace(/\/+$/, '');
  const headers: Record<string, string> = {};
  if (o.username !== undefined && o.password !== undefined) {
    headers['Authorization'] = `Basic ${Buffer.from(`${o.username}:${o.password}`).toString('base64')}`;
  }

  async function call(path: string, init: RequestInit, timeoutMs: number, what: string): Promise<Response> {
    try {
      return await fetch(`${base}${path}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string> | undefined) }, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : (err as Error).message;
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      const why = timedOut ? `no answer within ${Math.round(timeoutMs / 1000)} s` : cause;
      throw new StoreError('influxdb', `cannot reach InfluxDB at ${base} (${what}): ${why}`, { cause: err });
    }
  }

  async function failIfBad(res: Response, what: string): Promise<void> {
    if (res.ok) return;
    const text = (await res.text()).slice(0, 500);
    const auth = res.status === 401 || res.status === 403 ? ' (check INFLUX_USERNAME / INFLUX_PASSWORD)' : '';
    throw new StoreError('influxdb', `${what} failed with HTTP ${res.status}${auth}: ${text}`);
  }

  function firstResult(body: unknown, what: string): InfluxSeries[] {
    const parsed = responseSchema.safeParse(body);
    if (!parsed.success) throw new StoreError('influxdb', `${what}: unexpected answer from InfluxDB`);
    if (parsed.data.error) throw new StoreError('influxdb', `${what}: ${parsed.data.error}`);
    const r = parsed.data.results?.[0];
    if (r?.error) throw new StoreError('influxdb', `${what}: ${r.error}`);
    return r?.series ?? [];
  }

  return {
    async ping() {
      const res = await call('/ping', { method: 'GET' }, o.connectTimeoutMs, 'ping');
      await failIfBad(res, 'ping');
      return res.headers.get('x-influxdb-version') ?? 'unknown';
    },

    async query(q, opts = {}) {
      const params = new URLSearchParams({ q });
      if (opts.db) params.set('db', opts.db);
      const timeout = opts.long ? o.operationTimeoutMs : o.connectTimeoutMs;
      const res = opts.write
        ? await call('/query', { method: 'POST', body: params, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }, timeout, 'query')
        : await call(`/query?${params.toString()}`, { method: 'GET' }, timeout, 'query');
      await failIfBad(res, 'query');
      return firstResult(await res.json(), 'query');
    },

    async queryChunked(q, db, onSeries) {
      const params = new URLSearchParams({ q, db, chunked: 'true', chunk_size: '10000' });
      const res = await call(`/query?${params.toString()}`, { method: 'GET' }, o.operationTimeoutMs, 'query');
      await failIfBad(res, 'query');
      if (!res.body) return;
      // Chunked answers are one JSON document per line: read them one at a time.
      const lines = createInterface({ input: Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), crlfDelay: Infinity });
      for await (const line of lines) {
        if (line.trim() === '') continue;
        let body: unknown;
        try {
          body = JSON.parse(line);
        } catch {
          throw new StoreError('influxdb', 'query: unreadable chunk in the answer');
        }
        for (const s of firstResult(body, 'query')) onSeries(s);
      }
    },

    async write(db, lines) {
      const params = new URLSearchParams({ db, precision: 'ms' });
      const res = await call(`/write?${params.toString()}`, { method: 'POST', body: lines }, o.operationTimeoutMs, 'write');
      await failIfBad(res, 'write');
    },
  };
}
