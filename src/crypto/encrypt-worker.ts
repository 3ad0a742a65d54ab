/**
 * Worker-thread side of EncryptPool (encrypt-pool.ts): reads a file, hashes the plaintext,
 * encrypts it (chunked AES-256-GCM), hashes the ciphertext, and hands the ciphertext to the main
 * thread in 1 MiB pieces with at most CREDITS of them unacknowledged. It only ever holds the one
 * file key it is given, never the master key.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { CHUNK_LOG2, ChunkEncryptor } from './chunked.ts';

/** Messages from the main thread. */
export type ToWorker =
  | { type: 'start'; id: number; path: string; fileKey: Uint8Array; salt: Uint8Array; nonce: Uint8Array }
  | { type: 'ack'; id: number }
  | { type: 'cancel'; id: number };

/** Messages to the main thread. */
export type FromWorker =
  | { type: 'ready'; id: 0 }
  | { type: 'data'; id: number; data: ArrayBuffer; length: number }
  | { type: 'end'; id: number; bytes: number; sha256: string; plainSha256: string }
  | { type: 'error'; id: number; message: string };

export const PIECE_BYTES = 1024 * 1024;
/**
 * Pieces the worker may be ahead of the sender: 16 MiB, so that a pause of the SSH window or of
 * the main thread does not stop the encryption (bench/offsite.ts: 4 measured 10-15 % slower).
 */
export const CREDITS = 16;

interface Job {
  credits: number;
  wake: (() => void) | undefined;
  cancelled: boolean;
}

const jobs = new Map<number, Job>();

function post(m: FromWorker, transfer?: ArrayBuffer[]): void {
  parentPort?.postMessage(m, transfer);
}

async function run(m: Extract<ToWorker, { type: 'start' }>, job: Job): Promise<void> {
  const fileKey = Buffer.from(m.fileKey);
  const enc = new ChunkEncryptor({ fileKey: () => fileKey }, CHUNK_LOG2, { salt: Buffer.from(m.salt), nonce: Buffer.from(m.nonce) });
  const plain = createHash('sha256');
  const cipher = createHash('sha256');
  let piece = new Uint8Array(new ArrayBuffer(PIECE_BYTES));
  let filled = 0;
  let bytes = 0;
  const flush = async (): Promise<void> => {
    if (filled === 0) return;
    while (job.credits === 0 && !job.cancelled) await new Promise<void>((r) => (job.wake = r));
    if (job.cancelled) return;
    job.credits--;
    post({ type: 'data', id: m.id, data: piece.buffer as ArrayBuffer, length: filled }, [piece.buffer as ArrayBuffer]);
    piece = new Uint8Array(new ArrayBuffer(PIECE_BYTES));
    filled = 0;
  };
  const emit = async (out: Buffer[]): Promise<void> => {
    for (const b of out) {
      cipher.update(b);
      bytes += b.length;
      for (let off = 0; off < b.length; ) {
        const n = Math.min(b.length - off, PIECE_BYTES - filled);
        piece.set(b.subarray(off, off + n), filled);
        filled += n;
        off += n;
        if (filled === PIECE_BYTES) await flush();
      }
    }
  };
  for await (const c of createReadStream(m.path, { highWaterMark: 256 * 1024 })) {
    if (job.cancelled) return;
    plain.update(c as Buffer);
    await emit(enc.push(c as Buffer));
  }
  await emit(enc.finish());
  await flush();
  if (!job.cancelled) post({ type: 'end', id: m.id, bytes, sha256: cipher.digest('hex'), plainSha256: plain.digest('hex') });
}

parentPort?.on('message', (m: ToWorker) => {
  if (m.type === 'start') {
    const job: Job = { credits: CREDITS, wake: undefined, cancelled: false };
    jobs.set(m.id, job);
    run(m, job)
      .catch((err: unknown) => post({ type: 'error', id: m.id, message: err instanceof Error ? err.message : String(err) }))
      .finally(() => jobs.delete(m.id));
    return;
  }
  const job = jobs.get(m.id);
  if (!job) return;
  if (m.type === 'ack') job.credits++;
  else job.cancelled = true;
  const wake = job.wake;
  job.wake = undefined;
  wake?.();
});

// Loaded: the main thread may send files (until then it cannot tell a slow start from a broken one).
post({ type: 'ready', id: 0 });
