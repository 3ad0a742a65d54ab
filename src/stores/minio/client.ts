/** The MinIO client with bounded waits, and the few bucket operations the adapter builds on. */
import * as http from 'node:http';
import * as https from 'node:https';
import { Client, S3Error } from 'minio';
import type { Config } from '../../config.ts';
import { StoreError } from '../../errors.ts';

const STORE = 'minio';
/** Objects above this size are put with a multipart upload; it is also the client's part buffer. */
export const PART_SIZE = 16 * 1024 * 1024;

/** A request that stays silent this long fails: the server or network is gone. */
function idleTransport(base: typeof http | typeof https, idleMs: number): typeof http {
  const request = (options: http.RequestOptions, callback?: (res: http.IncomingMessage) => void): http.ClientRequest => {
    const req = base.request(options, callback);
    req.setTimeout(idleMs, () => req.destroy(new Error(`no answer from MinIO within ${Math.round(idleMs / 1000)} s`)));
    return req;
  };
  // minio calls only request(options, callback), the one overload implemented here.
  return { request } as unknown as typeof http;
}

/** Builds a client for config.minio; requests idle longer than `idleMs` fail. */
export function createMinioClient(cfg: Config['minio'], idleMs: number): Client {
  const url = new URL(cfg.url);
  const useSSL = url.protocol === 'https:';
  return new Client({
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: cfg.accessKey,
    secretKey: cfg.secretKey,
    pathStyle: true,
    partSize: PART_SIZE,
    transport: idleTransport(useSSL ? https : http, idleMs),
    retryOptions: { disableRetry: true },
  });
}

/** Error text fit for a user: the server's own message or the network error, never credentials. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  if (code === 'ECONNREFUSED') return 'connection refused (is MinIO running?)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  return err.message;
}

/** Runs `fn`, turning any failure into a StoreError and giving up after `ms`. */
export async function bounded<T>(what: string, ms: number, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreError(STORE, `${what}: no answer within ${Math.round(ms / 1000)} s`)), ms);
  });
  try {
    return await Promise.race([fn(), timeout]);
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new StoreError(STORE, `${what}: ${describeError(err)}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

export interface ListedObject {
  key: string;
  size: number;
  etag: string;
}

/** Every object of a bucket, in key order, page by page (the listing is never held whole). */
export async function* listObjects(client: Client, bucket: string): AsyncGenerator<ListedObject> {
  for await (const item of client.listObjectsV2(bucket, '', true)) {
    const it = item as { name?: string; size?: number; etag?: string };
    if (it.name === undefined) continue;
    yield { key: it.name, size: it.size ?? 0, etag: (it.etag ?? '').replace(/^"+|"+$/g, '') };
  }
}

/** Removes every object of a bucket, 1000 at a time (the S3 limit of one delete request). */
export async function emptyBucket(client: Client, bucket: string, signal: AbortSignal): Promise<number> {
  let removed = 0;
  for (;;) {
    signal.throwIfAborted();
    const batch: string[] = [];
    for await (const obj of listObjects(client, bucket)) {
      batch.push(obj.key);
      if (batch.length === 1000) break;
    }
    if (batch.length === 0) return removed;
    const results = await client.removeObjects(bucket, batch);
    const failed = results.filter((r) => r && r.Error);
    if (failed.length > 0) {
      const first = failed[0]?.Error;
      throw new StoreError(STORE, `could not delete ${failed.length} objects of ${bucket} (first: ${first?.Key ?? '?'}: ${first?.Message ?? first?.Code ?? 'unknown'})`);
    }
    removed += batch.length;
  }
}

/** Object count and total bytes of each bucket, keyed `<bucket>.objects` / `<bucket>.bytes`. */
export async function bucketCounts(client: Client, buckets: string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const bucket of buckets) {
    let objects = 0;
    let bytes = 0;
    if (await client.bucketExists(bucket)) {
      for await (const obj of listObjects(client, bucket)) {
        objects += 1;
        bytes += obj.size;
      }
    }
    counts[`${bucket}.objects`] = objects;
    counts[`${bucket}.bytes`] = bytes;
  }
  return counts;
}

/** The server's version from the admin info API; a plain description when it is not allowed. */
export async function serverVersion(client: Client): Promise<string> {
  // The S3 API has no version call; the admin API does, under /minio/admin/v3, signed like S3
  // (region given so the client does not first ask the "minio" bucket for its location).
  let res: http.IncomingMessage;
  try {
    res = await client.makeRequestAsync({ method: 'GET', bucketName: 'minio', objectName: 'admin/v3/info' }, '', [200], 'us-east-1');
  } catch (err) {
    if (!(err instanceof S3Error)) throw err;
    await client.listBuckets();
    return 'MinIO (version hidden: no admin access)';
  }
  let body = '';
  for await (const chunk of res) body += String(chunk);
  try {
    const info = JSON.parse(body) as { servers?: Array<{ version?: unknown }> };
    const v = info.servers?.[0]?.version;
    return typeof v === 'string' ? v : 'MinIO (unknown version)';
  } catch {
    return 'MinIO (unknown version)';
  }
}
