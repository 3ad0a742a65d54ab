/** Restore of one bucket from an already verified object archive, then a check of what landed. */
import { Readable } from 'node:stream';
import type { Client } from 'minio';
import { forEachTarGzEntry } from '../../archive/tar-read.ts';
import { hashing } from '../../archive/tar-hash.ts';
import { StoreError } from '../../errors.ts';
import type { Counts, StoreContext } from '../types.ts';
import { describeError, emptyBucket, listObjects } from './client.ts';
import { putMetadata, type IndexRecord } from './format.ts';

const PROGRESS_EVERY_MS = 2000;

/** putObject with a streamed body: also fails when the body fails (the client only pipes it). */
async function putStreaming(client: Client, bucket: string, rec: IndexRecord, content: AsyncIterable<Buffer>): Promise<string> {
  const h = hashing(content);
  if (rec.size === 0) {
    // The client sends an empty object without reading the body, so read the (empty) entry here.
    for await (const _ of h.stream) void _;
    await client.putObject(bucket, rec.key, Buffer.alloc(0), 0, putMetadata(rec));
    return h.result().sha256;
  }
  const body = Readable.from(h.stream, { objectMode: false });
  const bodyFailed = new Promise<never>((_, reject) => body.once('error', reject));
  bodyFailed.catch(() => undefined);
  await Promise.race([client.putObject(bucket, rec.key, body, rec.size, putMetadata(rec)), bodyFailed]);
  return h.result().sha256;
}

/** sha256 of an object as MinIO serves it now, read as a stream. */
async function readBackSha256(client: Client, bucket: string, key: string): Promise<string> {
  const h = hashing(await client.getObject(bucket, key));
  for await (const _ of h.stream) void _;
  return h.result().sha256;
}

/** Empties (or creates) the bucket and puts every object of the archive back. */
export async function restoreBucket(
  client: Client,
  bucket: string,
  absPath: string,
  records: IndexRecord[],
  ctx: StoreContext,
  /** The file's sha256 as verified: the load's read of the whole file must find it again. */
  expectSha256?: string,
): Promise<Counts> {
  if (await client.bucketExists(bucket)) await emptyBucket(client, bucket, ctx.signal);
  else await client.makeBucket(bucket);
  const byEntry = new Map(records.map((r) => [r.entry, r]));
  let done = 0;
  let bytes = 0;
  let lastProgress = Date.now();
  const file = await forEachTarGzEntry(
    absPath,
    async (entry, content) => {
      const rec = byEntry.get(entry.name);
      if (!rec) return;
      ctx.signal.throwIfAborted();
      let sha256: string;
      try {
        sha256 = await putStreaming(client, bucket, rec, content);
      } catch (err) {
        throw new StoreError('minio', `could not put back object "${rec.key}": ${describeError(err)}`, { cause: err });
      }
      if (sha256 !== rec.sha256) throw new StoreError('minio', `the backup file changed after it was verified (object "${rec.key}")`);
      done += 1;
      bytes += rec.size;
      if (Date.now() - lastProgress > PROGRESS_EVERY_MS) {
        lastProgress = Date.now();
        ctx.progress({ store: 'minio', message: `${bucket}: ${done}/${records.length} objects restored`, bytes });
      }
    },
    ctx.signal,
  );
  if (expectSha256 && file && file.sha256 !== expectSha256) throw new StoreError('minio', `archive changed during restore: ${absPath} no longer has the sha256 it was verified with`);
  return checkBucket(client, bucket, records, ctx);
}

/**
 * Compares the bucket with the index: same keys, sizes and content. An unchanged single-part
 * etag is the md5 of the same bytes; every other object is read back and hashed.
 */
async function checkBucket(client: Client, bucket: string, records: IndexRecord[], ctx: StoreContext): Promise<Counts> {
  const expected = new Map(records.map((r) => [r.key, r]));
  const problems: string[] = [];
  let objects = 0;
  let bytes = 0;
  for await (const obj of listObjects(client, bucket)) {
    ctx.signal.throwIfAborted();
    objects += 1;
    bytes += obj.size;
    const rec = expected.get(obj.key);
    if (!rec) {
      problems.push(`unexpected object "${obj.key}"`);
      continue;
    }
    expected.delete(obj.key);
    if (obj.size !== rec.size) problems.push(`object "${obj.key}" has ${obj.size} bytes, ${rec.size} expected`);
    else if (rec.etag.includes('-') || rec.etag !== obj.etag) {
      if ((await readBackSha256(client, bucket, obj.key)) !== rec.sha256) problems.push(`object "${obj.key}" does not match its checksum`);
    }
    if (problems.length >= 10) break;
  }
  // After an early stop the unvisited keys are not known to be missing: list them only otherwise.
  if (problems.length < 10) for (const key of [...expected.keys()].slice(0, 10)) problems.push(`object "${key}" is missing`);
  if (problems.length > 0) throw new StoreError('minio', `bucket "${bucket}" differs from the backup after restore: ${problems.join('; ')}`);
  return { [`${bucket}.objects`]: objects, [`${bucket}.bytes`]: bytes };
}
