/**
 * The end of a .tar.gz writer's pipeline: hashes (sha256) and writes gzip's output to a file, and
 * gives each of zlib's output buffers back the moment its last chunk is on disk, instead of at the
 * next garbage collection (file-chunks.ts says why that wait grows with the size of a backup).
 * Gzip must make its output in chunks of CHUNK_BYTES (`gzipChunks`); any other chunk is left to
 * the garbage collector.
 */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { CHUNK_BYTES, releaseZlibOutput } from './file-chunks.ts';

/** zlib's output chunk size the sink expects (and fewer, larger writes than zlib's 16 KiB default). */
export const gzipChunks = { chunkSize: CHUNK_BYTES } as const;

/** Writes gzip's output to `path`, hashing it on the way; `bytes` and `digest()` once finished. */
export class GzipFileSink extends Writable {
  bytes = 0;
  readonly #hash = createHash('sha256');
  readonly #path: string;
  #fh: FileHandle | undefined;

  constructor(path: string) {
    super({ highWaterMark: CHUNK_BYTES });
    this.#path = path;
  }

  override _construct(cb: (err?: Error | null) => void): void {
    open(this.#path, 'w').then((fh) => {
      this.#fh = fh;
      cb();
    }, cb);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#hash.update(chunk);
    this.bytes += chunk.length;
    this.#writeAll(chunk).then(() => {
      // Writes happen one after another: the chunks before this one are on disk too.
      releaseZlibOutput(chunk);
      cb();
    }, cb);
  }

  async #writeAll(chunk: Buffer): Promise<void> {
    for (let at = 0; at < chunk.length; ) {
      const { bytesWritten } = await (this.#fh as FileHandle).write(chunk, at, chunk.length - at);
      at += bytesWritten;
    }
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.#close().then(() => cb(), cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#close().then(() => cb(err), () => cb(err));
  }

  async #close(): Promise<void> {
    const fh = this.#fh;
    this.#fh = undefined;
    await fh?.close();
  }

  /** Hex sha256 of everything written; call once, after the stream finished. */
  digest(): string {
    return this.#hash.digest('hex');
  }
}
