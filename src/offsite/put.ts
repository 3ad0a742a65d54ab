/**
 * Upload with verification: each file goes to `.<name>.part`, its sha256 is computed from the bytes
 * on the server's disk (by the server, or for a small file read back: remote.ts storedSha256) and
 * compared with the hash of the bytes sent, and only then is it renamed to its final name.
 *
 * Pipelined: files are sent on several connections at once ("lanes"), while one verifier walks
 * the files in their order — it waits for a file's upload, has the server hash it (small files in
 * batches, so that one command serves many), compares, renames. So the server hashes file N while
 * N+1 is being sent, and final names still appear in the callers' order (the Elasticsearch mirror
 * relies on it). A large file starts only once every smaller file before it is verified, so that a
 * connection lost during a big upload never costs the small files sent before it.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { BotError } from '../errors.ts';
import { ChunkEncryptor, transformChunks } from '../crypto/chunked.ts';
import { EncryptWorker } from '../crypto/encrypt-pool.ts';
import type { OffsiteKey } from '../crypto/key.ts';
import { localFileError, OffsiteError } from './errors.ts';
import { partName } from './paths.ts';
import { renameOver, storedSha256, unlinkQuiet } from './remote.ts';
import type { Lane, RemoteSession } from './session.ts';
import { IN_FLIGHT, uploadFile, uploadStream, WRITE_BYTES } from './transfer.ts';
import type { ProgressFn } from './types.ts';

/** One file to store remotely. */
export interface PutItem {
  /** Absolute local path of the plain file. */
  local: string;
  /** Absolute remote path of the stored file (already with `.enc` when encrypting). */
  remote: string;
  /** Short name for progress and errors. */
  display: string;
  /** The plain sha256 the manifest promises; the upload fails if the local file differs. */
  expectSha?: string;
}

/** A stored and verified file. */
export interface PutDone {
  item: PutItem;
  /** Size and sha256 of the stored bytes (ciphertext when encrypting). */
  bytes: number;
  sha256: string;
  plainSha256: string;
}

/** Running totals shared across tries of one copy. */
export interface PutCounters {
  uploads: number;
  bytesSent: number;
}

export interface PutOptions {
  key: OffsiteKey | undefined;
  counters: PutCounters;
  onProgress?: ProgressFn;
  /** Called once per file after its final name exists (for journals), in the items' order. */
  onVerified?: (d: PutDone) => void;
  /** Connections used at once (default LANES; see RemoteSession.lanes). */
  lanes?: number;
  /** Encrypt large files on the main thread too (bench/offsite.ts compares both). */
  inlineEncryption?: boolean;
  /** Bytes per SFTP WRITE request and how many may be unanswered per lane. */
  writeBytes?: number;
  inFlight?: number;
}

const BATCH_FILES = 64;
const BATCH_BYTES = 256 * 1024 * 1024;
/** A file this large is verified on its own, and small ones sent before it are verified first. */
const LARGE = 8 * 1024 * 1024;
const PROGRESS_STEP = 4 * 1024 * 1024;
/**
 * Connections used at once by default. One, like scp: on the 2-core machine the pipelining (the
 * server hashes file N while N+1 is sent) already overlaps the check, and further connections
 * cost more CPU than they save (bench/offsite.ts measures 1 against 3). `lanes` raises it for
 * long, high-latency links where one SSH window is the limit.
 */
export const LANES = 1;
/** Local read size: one WRITE request per read, sliced without a copy. */
const READ_BYTES = WRITE_BYTES;

async function* readLocal(path: string, hash: Hash | undefined): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: READ_BYTES })) {
      const b = chunk as Buffer;
      hash?.update(b);
      yield b;
    }
  } catch (err) {
    if (err instanceof BotError) throw err;
    throw localFileError(path, err);
  }
}

function localMismatch(item: PutItem): OffsiteError {
  return new OffsiteError('offsite_local_mismatch', `${item.display}: the local file no longer matches its manifest checksum; not copied`);
}

async function sha256Of(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of readLocal(path, h)) void c;
  return h.digest('hex');
}

/** A promise with its settle functions; `settled` once resolved or rejected. */
class Deferred<T> {
  readonly promise: Promise<T>;
  settled = false;
  #resolve!: (v: T) => void;
  #reject!: (e: unknown) => void;
  constructor() {
    this.promise = new Promise<T>((res, rej) => {
      this.#resolve = res;
      this.#reject = rej;
    });
    this.promise.catch(() => undefined);
  }
  resolve(v: T): void {
    if (this.settled) return;
    this.settled = true;
    this.#resolve(v);
  }
  reject(e: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.#reject(e);
  }
}

async function sizeOf(item: PutItem): Promise<number> {
  return stat(item.local).then((st) => st.size, (err: Error) => {
    throw localFileError(item.local, err);
  });
}

/** Uploads and verifies every item; final names appear in the items' order. Returns what was stored. */
export async function putVerified(s: RemoteSession, items: PutItem[], opts: PutOptions): Promise<PutDone[]> {
  if (items.length === 0) return [];
  const n = items.length;
  // A size that cannot be read fails when that file's turn comes, as in a sequential copy.
  const sizes = await Promise.all(items.map((i) => sizeOf(i).catch((err: unknown) => err as Error)));
  const uploaded = items.map(() => new Deferred<PutDone>());
  const committed = items.map(() => new Deferred<void>());
  let failure: unknown;
  const fail = (err: unknown): void => {
    failure ??= err;
    for (const d of [...uploaded, ...committed]) d.reject(failure);
  };
  const isLarge = (i: number): boolean => typeof sizes[i] === 'number' && (sizes[i] as number) >= LARGE;
  const lastSmallBefore = (i: number): number => {
    for (let j = i - 1; j >= 0; j--) if (!isLarge(j)) return j;
    return -1;
  };

  // A connection costs a key exchange: worth it only when there is something to share out.
  const total = sizes.reduce<number>((sum, x) => sum + (typeof x === 'number' ? x : 0), 0);
  // Started at once, beside the connections; none (encrypt inline) if it cannot start here.
  const worker = opts.key && !opts.inlineEncryption && items.some((_, i) => isLarge(i)) ? EncryptWorker.start() : Promise.resolve(undefined);
  const lanes = await s.lanes(total < LARGE ? 1 : Math.min(opts.lanes ?? LANES, n)).catch((err: unknown) => {
    void worker.then((w) => w?.close());
    throw err;
  });
  let next = 0;
  const run = async (lane: Lane): Promise<void> => {
    while (failure === undefined && next < n) {
      const i = next++;
      const size = sizes[i];
      if (size instanceof Error) throw size;
      if (isLarge(i)) {
        const j = lastSmallBefore(i);
        if (j >= 0) await (committed[j] as Deferred<void>).promise;
      }
      // Large encrypted files are encrypted on a worker thread, beside the SSH transport.
      const pool = opts.key && isLarge(i) ? await worker : undefined;
      (uploaded[i] as Deferred<PutDone>).resolve(await uploadOne(s, lane, items[i] as PutItem, size as number, opts, pool));
    }
  };
  const verifier = async (): Promise<void> => {
    let i = 0;
    while (i < n) {
      const batch: PutDone[] = [await (uploaded[i] as Deferred<PutDone>).promise];
      let bytes = (batch[0] as PutDone).bytes;
      const from = i++;
      if (!isLarge(from)) {
        while (i < n && !isLarge(i) && batch.length < BATCH_FILES && bytes < BATCH_BYTES) {
          const d = await (uploaded[i] as Deferred<PutDone>).promise;
          batch.push(d);
          bytes += d.bytes;
          i++;
        }
      }
      await verifyBatch(s, batch, opts);
      for (let k = from; k < i; k++) (committed[k] as Deferred<void>).resolve();
    }
  };
  // The first failure stops every lane and the verifier; nothing after it is renamed.
  try {
    await Promise.all([...lanes.map((l) => run(l)), verifier()].map((p) => p.catch(fail)));
  } finally {
    await (await worker)?.close();
  }
  if (failure !== undefined) throw failure;
  return Promise.all(uploaded.map((d) => d.promise));
}

/** Hashes a batch of uploaded parts from the server's disk; renames each that matches, in order. */
async function verifyBatch(s: RemoteSession, list: PutDone[], opts: PutOptions): Promise<void> {
  const sums = await storedSha256(s, list.map((d) => ({ path: partName(d.item.remote), bytes: d.bytes })));
  for (const d of list) {
    const part = partName(d.item.remote);
    if (sums.get(part) !== d.sha256) {
      await unlinkQuiet(s, part);
      if (d.item.expectSha !== undefined && (await sha256Of(d.item.local)) !== d.item.expectSha) throw localMismatch(d.item);
      throw new OffsiteError('offsite_checksum', `${d.item.display}: the server's sha256 of the uploaded file does not match what was sent`);
    }
    await renameOver(s, part, d.item.remote);
    opts.onVerified?.(d);
    opts.onProgress?.({ phase: 'verified', path: d.item.display, bytes: d.bytes, message: `verified ${d.item.display} (sha256 on the server)` });
  }
}

/** The worker's read and encryption failures, as the inline path reports them. */
async function* localErrors(item: PutItem, chunks: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* chunks;
  } catch (err) {
    if (err instanceof OffsiteError) throw err;
    throw localFileError(item.local, err);
  }
}

/** Sends one file to its `.part` name on `lane`; returns the size and sha256 of what was sent. */
async function uploadOne(s: RemoteSession, lane: Lane, item: PutItem, size: number, opts: PutOptions, pool?: EncryptWorker): Promise<PutDone> {
  opts.onProgress?.({ phase: 'upload', path: item.display, bytes: size, message: `sending ${item.display}` });
  opts.counters.uploads++;
  // A plain file with a known checksum needs no local hash: the server's sha256 must equal the
  // manifest's, which proves the local file and the transfer at once (and saves a core).
  const inWorker = opts.key && pool ? pool.encrypt(opts.key, item.local) : undefined;
  const plainHash = opts.key && !inWorker ? createHash('sha256') : undefined;
  const source = inWorker ? localErrors(item, inWorker.chunks) : opts.key ? transformChunks(readLocal(item.local, plainHash), new ChunkEncryptor(opts.key)) : undefined;
  let sinceReport = 0;
  const onBytes = (b: number): void => {
    opts.counters.bytesSent += b;
    sinceReport += b;
    if (sinceReport >= PROGRESS_STEP) {
      sinceReport = 0;
      opts.onProgress?.({ phase: 'bytes', path: item.display, bytes: opts.counters.bytesSent, message: `${item.display}: ${opts.counters.bytesSent} bytes sent` });
    }
  };
  const tuning = { lane, writeBytes: opts.writeBytes ?? WRITE_BYTES, inFlight: opts.inFlight ?? IN_FLIGHT };
  // Encrypted: the ciphertext's sha256 comes from the worker, which hashed it as it encrypted, or
  // from the upload. Plain: the bytes sent are the file's, hashed only when no checksum is known.
  const sent = source
    ? await uploadStream(s, source, partName(item.remote), onBytes, { ...tuning, hash: !inWorker })
    : await uploadFile(s, item.local, partName(item.remote), onBytes, { ...tuning, hash: item.expectSha === undefined });
  const fromWorker = inWorker ? await inWorker.result : undefined;
  if (fromWorker) {
    if (fromWorker.bytes !== sent.bytes) throw new OffsiteError('offsite_transfer', `${item.display}: ${sent.bytes} bytes sent, ${fromWorker.bytes} encrypted`);
    sent.sha256 = fromWorker.sha256;
  }
  const plainSha256 = fromWorker ? fromWorker.plainSha256 : plainHash ? plainHash.digest('hex') : sent.sha256 || (item.expectSha as string);
  if (!opts.key) sent.sha256 = plainSha256;
  if (item.expectSha !== undefined && plainSha256 !== item.expectSha) {
    await unlinkQuiet(s, partName(item.remote));
    throw localMismatch(item);
  }
  opts.onProgress?.({ phase: 'uploaded', path: item.display, bytes: sent.bytes, message: `sent ${item.display} (${sent.bytes} bytes)` });
  return { item, bytes: sent.bytes, sha256: sent.sha256, plainSha256 };
}
