/**
 * Connecting to Elasticsearch 7.17 or 8.x with the one 8.x client. The client sends
 * `compatible-with=8` media types, which a 7.x server rejects (media_type_header_exception), so
 * the server's version is asked first with a plain request and the headers are chosen from it.
 */
import { Client, errors } from '@elastic/elasticsearch';
import type { Config } from '../../config.ts';
import { redactUrl } from '../../config.ts';
import { StoreError } from '../../errors.ts';
import { rootInfoSchema } from './schemas.ts';

export const STORE = 'elasticsearch';

export interface EsConnection {
  client: Client;
  /** The server's version, e.g. `8.15.0`. */
  version: string;
  major: number;
}

type EsConfig = Config['elasticsearch'];

/**
 * Headers that make the 8.x client acceptable to a server of `major`. For 7.x, plain JSON: every
 * 7.x accepts it (`compatible-with` is known only from 7.13 on). For 8.x, the client's defaults.
 */
export function compatibilityHeaders(major: number): Record<string, string> {
  if (major >= 8) return {};
  return { accept: 'application/json', 'content-type': 'application/json' };
}

function basicAuth(cfg: EsConfig): Record<string, string> {
  if (cfg.username === undefined) return {};
  const token = Buffer.from(`${cfg.username}:${cfg.password ?? ''}`).toString('base64');
  return { authorization: `Basic ${token}` };
}

/** GET / with a bounded wait; the answer's version picks the client's media types. */
export async function serverVersion(cfg: EsConfig, timeoutMs: number): Promise<string> {
  const where = redactUrl(cfg.url);
  let res: Response;
  try {
    res = await fetch(new URL('/', cfg.url), { headers: { accept: 'application/json', ...basicAuth(cfg) }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const reason = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${Math.round(timeoutMs / 1000)} s` : causeText(err);
    throw new StoreError(STORE, `cannot reach ${where}: ${reason}`, { cause: err });
  }
  if (res.status === 401 || res.status === 403) {
    await res.body?.cancel();
    throw new StoreError(STORE, `${where} refused the credentials (HTTP ${res.status}); check ES_USERNAME and ES_PASSWORD`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new StoreError(STORE, `${where} answered HTTP ${res.status} to GET /`);
  }
  const parsed = rootInfoSchema.safeParse(await res.json().catch(() => undefined));
  if (!parsed.success) throw new StoreError(STORE, `${where} does not look like Elasticsearch (no version in GET /)`);
  return parsed.data.version.number;
}

/** Asks the version, then builds a client whose headers that server accepts. */
export async function connect(cfg: EsConfig, connectTimeoutMs: number): Promise<EsConnection> {
  const version = await serverVersion(cfg, connectTimeoutMs);
  const major = Number.parseInt(version, 10);
  if (major < 7) throw new StoreError(STORE, `version ${version} is not supported (7.17 or 8.x needed)`);
  const client = new Client({
    node: cfg.url,
    ...(cfg.username !== undefined ? { auth: { username: cfg.username, password: cfg.password ?? '' } } : {}),
    headers: compatibilityHeaders(major),
    // Long operations are polled, so one request never needs long.
    requestTimeout: Math.max(60_000, connectTimeoutMs),
    maxRetries: 2,
  });
  return { client, version, major };
}

function causeText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as Error & { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as Error & { code?: string }).code;
    return code ?? cause.message;
  }
  return err.message;
}

/** Status code of a client error, when the server answered. */
export function statusOf(err: unknown): number | undefined {
  return err instanceof errors.ResponseError ? err.meta.statusCode : undefined;
}

/** Turns anything the client throws into a StoreError naming the operation. */
export function toStoreError(what: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  if (err instanceof errors.ResponseError) {
    const body = err.meta.body as { error?: { type?: string; reason?: string } | string } | undefined;
    const e = body?.error;
    const detail = typeof e === 'string' ? e : [e?.type, e?.reason].filter(Boolean).join(': ');
    return new StoreError(STORE, `${what} failed (HTTP ${err.meta.statusCode}${detail ? `, ${detail}` : ''})`, { cause: err });
  }
  if (err instanceof errors.ConnectionError || err instanceof errors.TimeoutError) {
    return new StoreError(STORE, `${what} failed: ${err.message}`, { cause: err });
  }
  return new StoreError(STORE, `${what} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

/** Runs one client call; any failure becomes a StoreError. */
export async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toStoreError(what, err);
  }
}
