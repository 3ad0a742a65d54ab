/** Streaming reader of a .tar.gz file: one entry at a time, never the whole file in memory. */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { HashCounter } from './tar-hash.ts';

export interface TarEntryHeader {
  name: string;
  size: number;
  type: string;
}

/**
 * Calls `onEntry` for each entry in order; whatever of an entry's content `onEntry` does not read
 * is skipped. Resolves with the file's own size and sha256 once the whole file was read, so one
 * pass both walks the archive and checks the file. Rejects on a corrupt gzip or tar stream.
 * Return `false` from onEntry to stop early (the file checksum is then not computed).
 */
export async function forEachTarGzEntry(
  path: string,
  onEntry: (header: TarEntryHeader, content: AsyncIterable<Buffer>) => Promise<boolean | void>,
  signal?: AbortSignal,
): Promise<{ bytes: number; sha256: string } | undefined> {
  const fileHash = new HashCounter();
  const extract = tar.extract();
  const piping = pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), fileHash, createGunzip(), extract, { signal });
  let pipeError: unknown;
  piping.catch((err: unknown) => {
    pipeError = err;
  });
  let stopped = false;
  let callerError: unknown;
  try {
    for await (const entry of extract) {
      const h = entry.header;
      let keepGoing: boolean | void;
      try {
        keepGoing = await onEntry({ name: h.name, size: h.size ?? 0, type: h.type ?? 'file' }, buffers(entry));
      } catch (err) {
        callerError = err;
        throw err;
      }
      entry.resume();
      if (keepGoing === false) {
        stopped = true;
        break;
      }
    }
  } catch (err) {
    if (callerError !== undefined) throw callerError;
    // The read, gunzip or tar step failed: report that cause rather than the iterator's echo.
    await piping.catch(() => undefined);
    throw pipeError ?? err;
  }
  if (stopped) {
    extract.destroy();
    await piping.catch(() => undefined);
    return undefined;
  }
  await piping;
  return { bytes: fileHash.bytes, sha256: fileHash.digest() };
}

/** tar-stream yields untyped chunks; they are Buffers (no encoding is ever set). */
async function* buffers(source: AsyncIterable<unknown>): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    if (!Buffer.isBuffer(chunk)) throw new Error('tar entry produced a non-binary chunk');
    yield chunk;
  }
}
