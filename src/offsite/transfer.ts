/**
 * Streamed SFTP upload with many WRITE requests in flight (one request at a time is bound by the
 * round trip, not the link), and download through ssh2's parallel fastGet.
 */
import { createHash } from 'node:crypto';
import { open as openFile, type FileHandle } from 'node:fs/promises';
import type { Lane, RemoteSession } from './session.ts';
import { BotError } from '../errors.ts';
import { localFileError, OffsiteError } from './errors.ts';

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
 * WRITE requests to one open remote file, at most `inFlight` unanswered at a time. A piece's
 * `done` runs once the server has answered its WRITE (ssh2 may read the piece until then).
 */
class RemoteWriter {
  readonly #lane: Lane;
  readonly #handle: Buffer;
  readonly #inFlight: number;
  readonly #onBytes: ((n: number) => void) | undefined;
  readonly #pending = new Set<Promise<void>>();
  #failure: Error | undefined;
  offset = 0;
  constructor(lane: Lane, handle: Buffer, inFlight: number, onBytes?: (n: number) => void) {
    this.#lane = lane;
    this.#handle = handle;
    this.#inFlight = inFlight;
    this.#onBytes = onBytes;
  }
  /** Sends `piece` at the next offset; returns once fewer than `inFlight` requests are unanswered. */
  async send(piece: Buffer, done?: () => void): Promise<void> {
    const at = this.offset;
    this.offset += piece.length;
    const p: Promise<void> = new Promise<void>((resolve) => {
      this.#lane.sftp.write(this.#handle, piece, 0, piece.length, at, (err) => {
        if (err) this.#failure ??= err;
        else this.#onBytes?.(piece.length);
        done?.();
        resolve();
      });
    }).then(() => {
      this.#pending.delete(p);
    });
    this.#pending.add(p);
    while (this.#pending.size >= this.#inFlight && !this.#failure) await this.#lane.guard(Promise.race(this.#pending));
    if (this.#failure) throw this.#failure;
  }
  /** Waits for every WRITE to be answered. */
  async drain(): Promise<void> {
    await this.#lane.guard(Promise.all(this.#pending));
    if (this.#failure) throw this.#failure;
  }
}

/**
 * Opens `remotePath` (truncating), lets `produce` send into it, waits for every answer and closes
 * it. A failure closes the handle (best effort) and becomes an OffsiteError naming the file.
 */
async function writeRemote(lane: Lane, remotePath: string, inFlight: number, onBytes: ((n: number) => void) | undefined, produce: (w: RemoteWriter) => Promise<void>): Promise<number> {
  const handle = await open(lane, remotePath);
  const w = new RemoteWriter(lane, handle, inFlight, onBytes);
  try {
    await produce(w);
    await w.drain();
  } catch (err) {
    // Best effort: on a dead connection this fails too, and the .part name is overwritten next try.
    void close(lane, handle).catch(() => undefined);
    if (err instanceof BotError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    throw new OffsiteError('offsite_transfer', `upload of ${remotePath} broke off after ${w.offset} bytes: ${msg}`, { cause: err });
  }
  await close(lane, handle);
  return w.offset;
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
  // The caller may already hash these exact bytes (plain copy): hashing twice costs a core.
  const hash = (tuning.hash ?? true) ? createHash('sha256') : undefined;
  const pieces = new Pieces(tuning.writeBytes ?? WRITE_BYTES);
  const bytes = await writeRemote(tuning.lane ?? s, remotePath, tuning.inFlight ?? IN_FLIGHT, onBytes, async (w) => {
    for await (const chunk of source) {
      hash?.update(chunk);
      for (const piece of pieces.push(chunk)) await w.send(piece);
    }
    for (const piece of pieces.rest()) await w.send(piece);
  });
  return { bytes, sha256: hash ? hash.digest('hex') : '' };
}

/**
 * Uploads a local file as uploadStream does, reading it into a fixed set of at most `inFlight`
 * buffers (the WRITEs unanswered, and the one being filled), each reused once the server has
 * answered the WRITE that carried it. A stream would allocate a new buffer per read, as ssh2 does
 * for each request and packet: V8 frees those only at its next collection, and while they pile up
 * it started full collections again and again (bench/README.md, "Offsite", session 6). A read
 * failure is an OffsiteError 'offsite_local_file'.
 */
export async function uploadFile(s: RemoteSession, localPath: string, remotePath: string, onBytes?: (n: number) => void, tuning: UploadTuning = {}): Promise<Sent> {
  const hash = (tuning.hash ?? true) ? createHash('sha256') : undefined;
  const size = tuning.writeBytes ?? WRITE_BYTES;
  const local = await openLocal(localPath);
  try {
    const free: Buffer[] = [];
    const bytes = await writeRemote(tuning.lane ?? s, remotePath, tuning.inFlight ?? IN_FLIGHT, onBytes, async (w) => {
      for (;;) {
        const buf = free.pop() ?? Buffer.allocUnsafeSlow(size);
        const n = await readAt(local, localPath, buf, w.offset);
        if (n === 0) break;
        const piece = buf.subarray(0, n);
        hash?.update(piece);
        await w.send(piece, () => free.push(buf));
      }
    });
    return { bytes, sha256: hash ? hash.digest('hex') : '' };
  } finally {
    await local.close().catch(() => undefined);
  }
}

async function openLocal(path: string): Promise<FileHandle> {
  try {
    return await openFile(path, 'r');
  } catch (err) {
    throw localFileError(path, err);
  }
}

async function readAt(fh: FileHandle, path: string, buf: Buffer, position: number): Promise<number> {
  try {
    return (await fh.read(buf, 0, buf.length, position)).bytesRead;
  } catch (err) {
    throw localFileError(path, err);
  }
}

/** Downloads a remote file to a local path with parallel reads. */
export function download(s: RemoteSession, remotePath: string, localPath: string, onBytes?: (total: number) => void): Promise<void> {
  return s.guard(new Promise((resolve, reject) => {
    s.sftp.fastGet(remotePath, localPath, { concurrency: 32, chunkSize: 64 * 1024, step: (total) => onBytes?.(total) }, (err) =>
      err ? reject(new OffsiteError('offsite_transfer', `download of ${remotePath} failed: ${err.message}`, { cause: err })) : resolve(),
    );
  }));
}
