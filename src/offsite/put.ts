/**
 * Upload with verification: each file goes to `.<name>.part`, its sha256 is computed on the server
 * and compared with the hash of the bytes sent, and only then is it renamed to its final name.
 * Small files are verified in batches so that one `sha256sum` serves many of them.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { BotError } from '../errors.ts';
import { ChunkEncryptor, transformChunks } from '../crypto/chunked.ts';
import type { OffsiteKey } from '../crypto/key.ts';
import { OffsiteError } from './errors.ts';
import { partName } from './paths.ts';
import { remoteSha256, renameOver, unlinkQuiet } from './remote.ts';
import type { RemoteSession } from './session.ts';
import { uploadStream } from './transfer.ts';
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
  /** Called once per file after its final name exists (for journals). */
  onVerified?: (d: PutDone) => void;
}

const BATCH_FILES = 64;
const BATCH_BYTES = 256 * 1024 * 1024;
/** A file this large is verified on its own, and small ones sent before it are verified first. */
const LARGE = 8 * 1024 * 1024;
const PROGRESS_STEP = 4 * 1024 * 1024;

async function* readLocal(path: string, hash: Hash | undefined): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) {
      const b = chunk as Buffer;
      hash?.update(b);
      yield b;
    }
  } catch (err) {
    if (err instanceof BotError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    throw new OffsiteError('offsite_local_file', `cannot read ${path}: ${msg}`, { cause: err });
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

/** Uploads and verifies every item, in order; returns what was stored. */
export async function putVerified(s: RemoteSession, items: PutItem[], opts: PutOptions): Promise<PutDone[]> {
  const done: PutDone[] = [];
  let batch: PutDone[] = [];
  let batchBytes = 0;
  const verifyBatch = async (list: PutDone[]): Promise<void> => {
    const sums = await remoteSha256(s, list.map((d) => partName(d.item.remote)));
    for (const d of list) {
      const part = partName(d.item.remote);
      if (sums.get(part) !== d.sha256) {
        await unlinkQuiet(s, part);
        if (d.item.expectSha !== undefined && (await sha256Of(d.item.local)) !== d.item.expectSha) throw localMismatch(d.item);
        throw new OffsiteError('offsite_checksum', `${d.item.display}: the server's sha256 of the uploaded file does not match what was sent`);
      }
      await renameOver(s, part, d.item.remote);
      done.push(d);
      opts.onVerified?.(d);
      opts.onProgress?.({ phase: 'verified', path: d.item.display, bytes: d.bytes, message: `verified ${d.item.display} (sha256 on the server)` });
    }
  };
  // One batch is verified on the server while the next file is being sent; batches still finish
  // (and rename) in order, since each waits for the one before.
  let verifying: Promise<void> = Promise.resolve();
  const flush = async (wait: boolean): Promise<void> => {
    const list = batch;
    batch = [];
    batchBytes = 0;
    const previous = verifying;
    verifying = previous.then(() => (list.length > 0 ? verifyBatch(list) : undefined));
    verifying.catch(() => undefined);
    if (wait) await verifying;
  };
  for (const item of items) {
    const size = await stat(item.local).then((st) => st.size, (err: Error) => {
      throw new OffsiteError('offsite_local_file', `cannot read ${item.local}: ${err.message}`);
    });
    // Small files already sent are worth keeping if the connection dies during a big one.
    if (size >= LARGE && batch.length > 0) await flush(true);
    opts.onProgress?.({ phase: 'upload', path: item.display, bytes: size, message: `sending ${item.display}` });
    opts.counters.uploads++;
    // A plain file with a known checksum needs no local hash: the server's sha256 must equal the
    // manifest's, which proves the local file and the transfer at once (and saves a core).
    const plainHash = opts.key || item.expectSha === undefined ? createHash('sha256') : undefined;
    const plain = readLocal(item.local, plainHash);
    const source = opts.key ? transformChunks(plain, new ChunkEncryptor(opts.key)) : plain;
    let sinceReport = 0;
    const onBytes = (n: number): void => {
      opts.counters.bytesSent += n;
      sinceReport += n;
      if (sinceReport >= PROGRESS_STEP) {
        sinceReport = 0;
        opts.onProgress?.({ phase: 'bytes', path: item.display, bytes: opts.counters.bytesSent, message: `${item.display}: ${opts.counters.bytesSent} bytes sent` });
      }
    };
    const sent = await uploadStream(s, source, partName(item.remote), onBytes, { hash: opts.key !== undefined });
    const plainSha256 = plainHash ? plainHash.digest('hex') : (item.expectSha as string);
    if (!opts.key) sent.sha256 = plainSha256;
    if (item.expectSha !== undefined && plainSha256 !== item.expectSha) {
      await unlinkQuiet(s, partName(item.remote));
      throw localMismatch(item);
    }
    opts.onProgress?.({ phase: 'uploaded', path: item.display, bytes: sent.bytes, message: `sent ${item.display} (${sent.bytes} bytes)` });
    batch.push({ item, bytes: sent.bytes, sha256: sent.sha256, plainSha256 });
    batchBytes += sent.bytes;
    if (batch.length >= BATCH_FILES || batchBytes >= BATCH_BYTES || sent.bytes >= LARGE) await flush(false);
  }
  await flush(true);
  return done;
}
