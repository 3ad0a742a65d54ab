/**
 * Reading a file, or the uncompressed bytes of a gzipped one, without leaving a trail of buffers.
 *
 * Why: Node's fs and zlib streams hand out a fresh buffer for every chunk, and a buffer's memory is
 * only given back when V8 next collects garbage — after up to ~64 MiB of such buffers when the
 * reader allocates little else (measured: hashing a 191 MB file peaked 75 MiB above the process's
 * start, hashing a 19 MB one 20 MiB). So the peak memory of a verification grew with the size of
 * the set. Here the file is read into buffers allocated once and reused, and zlib's output chunks
 * are given back the moment the reader is done with them (`release`).
 */
import { open } from 'node:fs/promises';
import { createGunzip, type Gunzip } from 'node:zlib';

/** Bytes per read and per zlib output chunk. */
export const CHUNK_BYTES = 256 * 1024;

/**
 * Yields the file's bytes in order. Each chunk is a view of a buffer that is reused for the next
 * read: it is valid until the consumer asks for the next one (hash it, copy from it — do not keep it).
 */
export async function* fileChunks(path: string, opts: { chunkBytes?: number; signal?: AbortSignal } = {}): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafeSlow(opts.chunkBytes ?? CHUNK_BYTES);
    for (;;) {
      opts.signal?.throwIfAborted();
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/** The first bytes of a file (fewer when it is shorter). */
export async function fileHead(path: string, bytes: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** A gzipped file's uncompressed bytes, chunk by chunk. */
export interface InflatedChunks {
  chunks: AsyncIterable<Buffer>;
  /**
   * Gives a chunk's memory back now instead of at the next garbage collection. Call it only once
   * nothing refers to the chunk's bytes any more; it does nothing for a chunk whose memory is
   * shared with zlib's current output buffer or with other buffers.
   */
  release(chunk: Buffer): void;
  /** Stops reading (on an early exit); safe to call more than once. */
  close(): void;
}

// ArrayBuffer.prototype.transfer(0) detaches a buffer and frees its memory at once (ES2024; Node >= 21).
const canTransfer = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function';

/**
 * Frees the memory of a chunk zlib handed out (with chunkSize CHUNK_BYTES), once read. A chunk that
 * reaches the end of its own CHUNK_BYTES buffer is the last zlib wrote into it: zlib has moved on to
 * a new output buffer, and earlier chunks of this one came (and went) before. Buffer pool slabs are
 * Buffer.poolSize long: never one of these while it differs. Any other chunk is left to the GC.
 */
export function releaseZlibOutput(chunk: Buffer): void {
  if (!canTransfer || Buffer.poolSize === CHUNK_BYTES) return;
  if (chunk.buffer.byteLength !== CHUNK_BYTES || chunk.byteOffset + chunk.length !== CHUNK_BYTES) return;
  (chunk.buffer as ArrayBuffer & { transfer(length: number): ArrayBuffer }).transfer(0);
}

/**
 * Frees a buffer's memory now, when the buffer owns all of it (Buffer.allocUnsafeSlow, or
 * Buffer.alloc above the pool's size): every view of it becomes empty. Does nothing otherwise.
 */
export function releaseBuffer(buf: Buffer): void {
  if (!canTransfer || buf.byteOffset !== 0 || buf.length !== buf.buffer.byteLength || buf.buffer.byteLength === Buffer.poolSize) return;
  (buf.buffer as ArrayBuffer & { transfer(length: number): ArrayBuffer }).transfer(0);
}

/**
 * Inflates a gzipped file. The file is read into two buffers used in turn (zlib is done with one
 * before it is refilled); zlib's output chunks are handed over as it makes them.
 */
export function gunzipFile(path: string, signal?: AbortSignal): InflatedChunks {
  const gunzip: Gunzip = createGunzip({ chunkSize: CHUNK_BYTES });
  // A destroyed gunzip may never call back a write in progress: the pump must not wait for it then.
  const closed = new Promise<void>((resolve) => gunzip.once('close', resolve));
  const pump = async (): Promise<void> => {
    const fh = await open(path, 'r');
    try {
      const buffers = [Buffer.allocUnsafeSlow(CHUNK_BYTES), Buffer.allocUnsafeSlow(CHUNK_BYTES)];
      let pending: Promise<void> | undefined;
      for (let i = 0; ; i++) {
        const buf = buffers[i % 2] as Buffer;
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        // zlib must be done with the other buffer before it is read into again.
        if (pending) await Promise.race([pending, closed]);
        if (bytesRead === 0 || gunzip.destroyed) break;
        signal?.throwIfAborted();
        pending = new Promise<void>((resolve, reject) => {
          gunzip.write(buf.subarray(0, bytesRead), (err) => (err ? reject(err) : resolve()));
        });
        pending.catch(() => undefined);
      }
      if (!gunzip.destroyed) gunzip.end();
    } finally {
      await fh.close();
    }
  };
  pump().catch((err: unknown) => gunzip.destroy(err instanceof Error ? err : new Error(String(err))));
  return {
    chunks: gunzip,
    release: releaseZlibOutput,
    close() {
      gunzip.destroy();
    },
  };
}

