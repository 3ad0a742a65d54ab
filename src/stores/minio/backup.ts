/** Backup of one bucket into minio/<bucket>-<label>.tar.gz (layout in format.ts), object by object. */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { IncomingMessage } from 'node:http';
import { dirname, join } from 'node:path';
import { constants } from 'node:zlib';
import type { Client } from 'minio';
import { createTarGzWriter } from '../../archive/tar-write.ts';
import { hashing } from '../../archive/tar-hash.ts';
import { StoreError } from '../../errors.ts';
import type { Artifact, StoreContext } from '../types.ts';
import { describeError, listObjects } from './client.ts';
import {
  FORMAT,
  FORMAT_VERSION,
  HEADER_ENTRY,
  INDEX_ENTRY,
  artifactPath,
  cleanEtag,
  describeHeaders,
  entryName,
  type ArchiveHeader,
  type IndexRecord,
} from './format.ts';

const PROGRESS_EVERY_MS = 2000;

/**
 * GET of one object. Size, etag and metadata are read from the GET answer itself, not from a
 * separate HEAD, so they always describe exactly the bytes that stream into the archive.
 */
async function fetchObject(client: Client, bucket: string, key: string): Promise<IncomingMessage> {
  const res = await client.getObject(bucket, key);
  if (!(res instanceof IncomingMessage)) throw new StoreError('minio', 'the MinIO client returned no HTTP response');
  return res;
}

/** Streams every object of `bucket` into its archive; returns the checksummed artifact. */
export async function backupBucket(client: Client, bucket: string, ctx: StoreContext): Promise<Artifact> {
  const started = Date.now();
  if (!(await client.bucketExists(bucket))) throw new StoreError('minio', `bucket "${bucket}" does not exist`);
  const rel = artifactPath(bucket, ctx.label);
  const abs = join(ctx.root, rel);
  await mkdir(dirname(abs), { recursive: true });
  // Attachments are PNG/JPEG/PDF, already compressed: run-length + Huffman coding keeps gzip
  // ~5x faster than deflate's string matching (measured 150 vs 32 MB/s) at the same size.
  const writer = createTarGzWriter(abs, { strategy: constants.Z_RLE });
  // The index is staged beside the archive (on the backup volume, not /tmp) and appended at the end.
  const indexFile = `${abs}.index.partial`;
  const index = createWriteStream(indexFile);
  let objects = 0;
  let bytes = 0;
  let lastProgress = Date.now();
  try {
    const header: ArchiveHeader = { format: FORMAT, version: FORMAT_VERSION, bucket, label: ctx.label, createdAt: new Date().toISOString() };
    await writer.addBuffer(HEADER_ENTRY, Buffer.from(`${JSON.stringify(header)}\n`));
    for await (const listed of listObjects(client, bucket)) {
      ctx.signal.throwIfAborted();
      const res = await fetchObject(client, bucket, listed.key);
      const size = Number(res.headers['content-length']);
      if (!Number.isSafeInteger(size)) throw new StoreError('minio', `object "${listed.key}" was sent without a length`);
      const modified = res.headers['last-modified'];
      const mtime = modified ? new Date(modified) : new Date();
      const entry = entryName(listed.key, objects);
      const h = hashing(res);
      try {
        await writer.addStream(entry, size, h.stream, mtime);
      } catch (err) {
        res.destroy();
        throw new StoreError('minio', `object "${listed.key}" could not be copied (it may have changed during the backup): ${describeError(err)}`, { cause: err });
      }
      const { sha256 } = h.result();
      const record: IndexRecord = {
        key: listed.key,
        entry,
        size,
        sha256,
        etag: cleanEtag(typeof res.headers.etag === 'string' ? res.headers.etag : undefined),
        ...describeHeaders(res.headers),
        lastModified: mtime.toISOString(),
      };
      if (!index.write(`${JSON.stringify(record)}\n`)) await once(index, 'drain');
      objects += 1;
      bytes += size;
      if (Date.now() - lastProgress > PROGRESS_EVERY_MS) {
        lastProgress = Date.now();
        ctx.progress({ store: 'minio', message: `${bucket}: ${objects} objects copied`, bytes });
      }
    }
    index.end();
    await once(index, 'finish');
    const indexSize = (await stat(indexFile)).size;
    await writer.addStream(INDEX_ENTRY, indexSize, createReadStream(indexFile));
    const file = await writer.finish();
    return {
      store: 'minio',
      path: rel,
      kind: 'file',
      bytes: file.bytes,
      sha256: file.sha256,
      counts: { [`${bucket}.objects`]: objects, [`${bucket}.bytes`]: bytes },
      durationMs: Date.now() - started,
      meta: { bucket, format: FORMAT, formatVersion: FORMAT_VERSION },
    };
  } catch (err) {
    await writer.abort();
    index.destroy();
    throw err instanceof StoreError ? err : new StoreError('minio', `backup of bucket "${bucket}" failed: ${describeError(err)}`, { cause: err });
  } finally {
    await rm(indexFile, { force: true });
  }
}
