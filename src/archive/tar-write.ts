/**
 * Streaming writer of a .tar.gz file: entries go through tar → gzip → sha256 → disk, so the
 * file's checksum is known the moment it is complete and no entry is ever held in memory, nor
 * left behind in buffers waiting for the garbage collector (gzip-file-sink.ts).
 */
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { constants, createGzip } from 'node:zlib';
import tar from 'tar-stream';
import { gzipChunks, GzipFileSink } from './gzip-file-sink.ts';

/** A .tar.gz being written; the final name appears only after finish(). */
export interface TarGzWriter {
  /** Adds a regular file of exactly `size` bytes read from `source` (a size mismatch rejects). */
  addStream(name: string, size: number, source: AsyncIterable<Buffer>, mtime?: Date): Promise<void>;
  /** Adds a small file held in memory (headers, summaries). */
  addBuffer(name: string, data: Buffer, mtime?: Date): Promise<void>;
  /** Ends the archive and renames it into place; returns its size and sha256. */
  finish(): Promise<{ bytes: number; sha256: string }>;
  /** Stops writing and removes the partial file. */
  abort(): Promise<void>;
}

/**
 * Opens `path` (written as `<path>.partial` until finished). Gzip defaults to its fastest level;
 * `strategy` lets callers with already-compressed content skip deflate's costly string matching.
 */
export function createTarGzWriter(path: string, gzip: { level?: number; strategy?: number } = {}): TarGzWriter {
  const partial = `${path}.partial`;
  const pack = tar.pack();
  const out = new GzipFileSink(partial);
  const done = pipeline(pack, createGzip({ level: gzip.level ?? constants.Z_BEST_SPEED, strategy: gzip.strategy, ...gzipChunks }), out);
  // Kept as a rejection-only promise so a failing disk also fails the entry being written.
  let failure: unknown;
  const failed = done.then(
    () => new Promise<never>(() => undefined),
    (err: unknown) => {
      failure = err;
      throw err;
    },
  );
  failed.catch(() => undefined);

  function entry(name: string, size: number, mtime: Date, source: AsyncIterable<Buffer>): Promise<void> {
    if (failure) return Promise.reject(failure);
    const written = new Promise<void>((resolve, reject) => {
      const sink = pack.entry({ name, size, mtime, mode: 0o644, type: 'file' }, (err) => (err ? reject(err) : resolve()));
      // tar-stream's entry is a streamx stream: feed it by hand, honouring its backpressure.
      (async () => {
        for await (const chunk of source) {
          if (!sink.write(chunk)) await new Promise<void>((r) => sink.once('drain', () => r()));
        }
        sink.end(undefined);
      })().catch((err: unknown) => {
        sink.destroy(err instanceof Error ? err : new Error(String(err)));
        reject(err);
      });
    });
    return Promise.race([written, failed]);
  }

  return {
    addStream(name, size, source, mtime = new Date()) {
      return entry(name, size, mtime, source);
    },
    addBuffer(name, data, mtime = new Date()) {
      return entry(name, data.length, mtime, single(data));
    },
    async finish() {
      pack.finalize();
      await done;
      await rename(partial, path);
      return { bytes: out.bytes, sha256: out.digest() };
    },
    async abort() {
      pack.destroy();
      await done.catch(() => undefined);
      await rm(partial, { force: true });
    },
  };
}

async function* single(data: Buffer): AsyncGenerator<Buffer> {
  yield data;
}
