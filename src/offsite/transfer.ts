/**
 * Streamed SFTP upload with many WRITE requests in flight (one request at a time is bound by the
 * round trip, not the link), and download through ssh2's parallel fastGet.
 */
import { createHash } from 'node:crypto';
import type { Lane, RemoteSession } from './session.ts';
import { BotError } from '../errors.ts';
import { OffsiteError } from './errors.ts';

/**
 * Bytes per WRITE request, and how many may wait for an answer at once per channel: 255 KiB is
 * the largest WRITE OpenSSH accepts (its limits@openssh.com), and 8 of them fill its 2 MiB channel
 * window. Against 32 KiB × 32 this halves the bot's CPU per byte (bench/README.md).
 */
export const WRITE_BYTES = 255 * 1024;
export const IN_FLIGHT = 8;

function open(lane: Lane, path: string): Promise<Buffer> {
  return lane.guard(new Promise((resolve, reject) => {
    lane.sftp.open(path, 'w', 0o600, (err, handle) => (err ? reject(new OffsiteError('offsite_transfer', `cannot create ${path} on the backup server: ${err.message}`)) : resolve(handle)));
  }));
}

function close(lane: Lane, handle: Buffer): Promise<void> {
  return lane.guard(new Promise((resolve, reject) => {
    lane.sftp.close(handle, (err) => (err ? reject(new OffsiteError('offsite_transfer', `closing a remote file failed: ${err.message}`)) : resolve()));
  }));
}

/** How an upload is cut into WRITE requests, and on which SFTP channel it goes. */
export interface UploadTuning {
  writeBytes?: number;
  inFlight?: number;
  /** Hash the bytes sent (default true); off when the caller already knows their sha256. */
  hash?: boolean;
  /** Lane to send on (default: the session's own SFTP channel). */
  lane?: Lane;
}

/**
 * Cuts a stream of buffers of any size into WRITE-sized pieces: a large buffer is sliced without
 * copying, small ones (an encrypted chunk and its tag) are gathered into one piece.
 */
class Pieces {
  readonly #size: number;
  #held: Buffer[] = [];
  #heldBytes = 0;
  constructor(size: number) {
    this.#size = size;
  }
  push(b: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let off = 0;
    if (this.#heldBytes > 0) {
      const want = Math.min(this.#size - this.#heldBytes, b.length);
      this.#held.push(b.subarray(0, want));
      this.#heldBytes += want;
      off = want;
      if (this.#heldBytes < this.#size) return out;
      out.push(Buffer.concat(this.#held, this.#heldBytes));
      this.#held = [];
      this.#heldBytes = 0;
    }
    for (; b.length - off >= this.#size; off += this.#size) out.push(b.subarray(off, off + this.#size));
    if (off < b.length) {
      this.#held.push(b.subarray(off));
      this.#heldBytes += b.length - off;
    }
    return out;
  }
  rest(): Buffer[] {
    if (this.#heldBytes === 0) return [];
    const last = Buffer.concat(this.#held, this.#heldBytes);
    this.#held = [];
    this.#heldBytes = 0;
    return [last];
  }
}

/** What an upload sent: its size and the sha256 of exactly those bytes ('' when not hashed). */
export interface Sent {
  bytes: number;
  sha256: string;
}

/**
 * Writes `source` to `remotePath` (truncating), hashing what is sent. `onBytes` reports progress.
 * Throws OffsiteError (retryable) when the connection breaks.
 */
export async function uploadStream(
  s: RemoteSession,
  source: AsyncIterable<Buffer>,
  remotePath: string,
  onBytes?: (n: number) => void,
  tuning: UploadTuning = {},
): Promise<Sent> {
  const lane: Lane = tuning.lane ?? s;
  // The caller may already hash these exact bytes (plain copy): hashing twice costs a core.
  const hashing = tuning.hash ?? true;
  const writeBytes = tuning.writeBytes ?? WRITE_BYTES;
  const inFlight = tuning.inFlight ?? IN_FLIGHT;
  const handle = await open(lane, remotePath);
  const hash = createHash('sha256');
  const pending = new Set<Promise<void>>();
  let failure: Error | undefined;
  let offset = 0;
  const send = (piece: Buffer, at: number): void => {
    const p: Promise<void> = new Promise<void>((resolve) => {
      lane.sftp.write(handle, piece, 0, piece.length, at, (err) => {
        if (err) failure ??= err;
        else onBytes?.(piece.length);
        resolve();
      });
    }).then(() => {
      pending.delete(p);
    });
    pending.add(p);
  };
  const pieces = new Pieces(writeBytes);
  const sendAll = async (list: Buffer[]): Promise<void> => {
    for (const piece of list) {
      send(piece, offset);
      offset += piece.length;
      while (pending.size >= inFlight && !failure) await lane.guard(Promise.race(pending));
      if (failure) throw failure;
    }
  };
  try {
    for await (const chunk of source) {
      if (hashing) hash.update(chunk);
      await sendAll(pieces.push(chunk));
    }
    await sendAll(pieces.rest());
    await lane.guard(Promise.all(pending));
    if (failure) throw failure;
  } catch (err) {
    // Best effort: on a dead connection this fails too, and the .part name is overwritten next try.
    void close(lane, handle).catch(() => undefined);
    if (err instanceof BotError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    throw new OffsiteError('offsite_transfer', `upload of ${remotePath} broke off after ${offset} bytes: ${msg}`, { cause: err });
  }
  await close(lane, handle);
  return { bytes: offset, sha256: hashing ? hash.digest('hex') : '' };
}

/** Downloads a remote file to a local path with parallel reads. */
export function download(s: RemoteSession, remotePath: string, localPath: string, onBytes?: (total: number) => void): Promise<void> {
  return s.guard(new Promise((resolve, reject) => {
    s.sftp.fastGet(remotePath, localPath, { concurrency: 32, chunkSize: 64 * 1024, step: (total) => onBytes?.(total) }, (err) =>
      err ? reject(new OffsiteError('offsite_transfer', `download of ${remotePath} failed: ${err.message}`, { cause: err })) : resolve(),
    );
  }));
}
