/**
 * Streamed authenticated encryption (AES-256-GCM in fixed-size chunks), format v1:
 *
 *   header  = "CRVSENC" | version (1) | log2(chunk size) (1) | salt (16) | base nonce (12)   — 37 bytes
 *   chunk i = AES-256-GCM(file key, nonce_i, plaintext_i) | tag (16)
 *
 * The file key is HKDF(master, salt); nonce_i is the random base nonce with the chunk counter
 * XORed into its last 8 bytes. Each chunk's AAD is header | counter | final flag, so chunks cannot
 * be reordered, moved between files, dropped from the end (the new last chunk was sealed as
 * not-final) or followed by extra data. Every chunk but the last holds exactly a full chunk of
 * plaintext; an empty file is one final chunk with no plaintext.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { BotError } from '../errors.ts';
import type { OffsiteKey } from './key.ts';

const MAGIC = Buffer.from('CRVSENC', 'ascii');
const VERSION = 1;
const TAG_BYTES = 16;
export const SALT_BYTES = 16;
export const NONCE_BYTES = 12;
export const HEADER_BYTES = MAGIC.length + 2 + SALT_BYTES + NONCE_BYTES;
/** Default plaintext bytes per chunk (64 KiB). */
export const CHUNK_LOG2 = 16;

/** Decryption failed: wrong key, tampered or truncated data, or not our format. */
export class DecryptionError extends BotError {
  constructor(message: string) {
    super('decrypt_failed', message);
  }
}

/** Size of the encrypted form of a plaintext of `plainBytes` bytes. */
export function encryptedSize(plainBytes: number, chunkLog2 = CHUNK_LOG2): number {
  const chunk = 2 ** chunkLog2;
  const chunks = plainBytes === 0 ? 1 : Math.ceil(plainBytes / chunk);
  return HEADER_BYTES + plainBytes + chunks * TAG_BYTES;
}

function nonceFor(base: Buffer, counter: number): Buffer {
  const n = Buffer.from(base);
  const c = Buffer.alloc(8);
  c.writeBigUInt64BE(BigInt(counter));
  for (let i = 0; i < 8; i++) n[NONCE_BYTES - 8 + i] = (n[NONCE_BYTES - 8 + i] as number) ^ (c[i] as number);
  return n;
}

function aad(header: Buffer, counter: number, final: boolean): Buffer {
  const tail = Buffer.alloc(9);
  tail.writeBigUInt64BE(BigInt(counter));
  tail[8] = final ? 1 : 0;
  return Buffer.concat([header, tail]);
}

/** Collects incoming buffers and hands out fixed-size pieces, copying only at boundaries. */
class ByteQueue {
  #parts: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    if (b.length === 0) return;
    this.#parts.push(b);
    this.length += b.length;
  }
  take(n: number): Buffer {
    const first = this.#parts[0];
    // The common case, a piece inside one incoming buffer, is a view: no copy.
    if (first && first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.#parts.shift();
      else this.#parts[0] = first.subarray(n);
      this.length -= n;
      return out;
    }
    const out = Buffer.allocUnsafe(Math.min(n, this.length));
    let filled = 0;
    while (filled < out.length) {
      const head = this.#parts[0] as Buffer;
      const want = out.length - filled;
      if (head.length <= want) {
        head.copy(out, filled);
        filled += head.length;
        this.#parts.shift();
      } else {
        head.copy(out, filled, 0, want);
        this.#parts[0] = head.subarray(want);
        filled += want;
      }
    }
    this.length -= out.length;
    return out;
  }
}

/** Encrypts one file's bytes as they come: `push` then `finish`; each returns what is ready. */
export class ChunkEncryptor {
  readonly #key: Buffer;
  readonly #header: Buffer;
  readonly #nonce: Buffer;
  readonly #chunk: number;
  readonly #queue = new ByteQueue();
  #counter = 0;
  #headerSent = false;

  /**
   * `fixed` gives the salt and nonce instead of fresh random ones: a worker thread gets them with
   * the one file key derived from them, never the master key (src/crypto/encrypt-worker.ts).
   */
  constructor(key: Pick<OffsiteKey, 'fileKey'>, chunkLog2 = CHUNK_LOG2, fixed?: { salt: Buffer; nonce: Buffer }) {
    const salt = fixed?.salt ?? randomBytes(SALT_BYTES);
    this.#nonce = fixed?.nonce ?? randomBytes(NONCE_BYTES);
    this.#header = Buffer.concat([MAGIC, Buffer.from([VERSION, chunkLog2]), salt, this.#nonce]);
    this.#key = key.fileKey(salt);
    this.#chunk = 2 ** chunkLog2;
  }

  push(data: Buffer): Buffer[] {
    this.#queue.push(data);
    const out = this.#start();
    // Strictly more than a chunk: only then is the chunk known not to be the last one.
    while (this.#queue.length > this.#chunk) this.#seal(this.#queue.take(this.#chunk), false, out);
    return out;
  }

  finish(): Buffer[] {
    const out = this.#start();
    this.#seal(this.#queue.take(this.#chunk), true, out);
    return out;
  }

  #start(): Buffer[] {
    if (this.#headerSent) return [];
    this.#headerSent = true;
    return [this.#header];
  }

  /** Appends the sealed chunk to `out` as ciphertext then tag (two buffers: no copy to join them). */
  #seal(plain: Buffer, final: boolean, out: Buffer[]): void {
    const c = createCipheriv('aes-256-gcm', this.#key, nonceFor(this.#nonce, this.#counter));
    c.setAAD(aad(this.#header, this.#counter, final));
    const body = c.update(plain);
    const rest = c.final();
    if (body.length > 0) out.push(body);
    if (rest.length > 0) out.push(rest);
    out.push(c.getAuthTag());
    this.#counter++;
  }
}

/** Decrypts one file's bytes as they come; throws DecryptionError at the first bad chunk. */
export class ChunkDecryptor {
  readonly #keyring: OffsiteKey;
  readonly #queue = new ByteQueue();
  readonly #what: string;
  #header: Buffer | undefined;
  #key: Buffer | undefined;
  #nonce: Buffer | undefined;
  #record = 0;
  #counter = 0;

  /** `what` names the file in error messages. */
  constructor(key: OffsiteKey, what: string) {
    this.#keyring = key;
    this.#what = what;
  }

  push(data: Buffer): Buffer[] {
    this.#queue.push(data);
    const out: Buffer[] = [];
    if (!this.#header) {
      if (this.#queue.length < HEADER_BYTES) return out;
      this.#readHeader(this.#queue.take(HEADER_BYTES));
    }
    while (this.#queue.length > this.#record) out.push(this.#open(this.#queue.take(this.#record), false));
    return out;
  }

  finish(): Buffer[] {
    if (!this.#header) throw new DecryptionError(`${this.#what}: not an encrypted backup file (too short)`);
    if (this.#queue.length < TAG_BYTES) throw new DecryptionError(`${this.#what}: the file is truncated`);
    return [this.#open(this.#queue.take(this.#record), true)];
  }

  #readHeader(h: Buffer): void {
    if (!h.subarray(0, MAGIC.length).equals(MAGIC)) throw new DecryptionError(`${this.#what}: not an encrypted backup file`);
    const version = h[MAGIC.length];
    const log2 = h[MAGIC.length + 1] as number;
    if (version !== VERSION) throw new DecryptionError(`${this.#what}: unsupported encryption format version ${version}`);
    if (log2 < 10 || log2 > 24) throw new DecryptionError(`${this.#what}: corrupt header (chunk size)`);
    const salt = h.subarray(MAGIC.length + 2, MAGIC.length + 2 + SALT_BYTES);
    this.#nonce = Buffer.from(h.subarray(MAGIC.length + 2 + SALT_BYTES));
    this.#key = this.#keyring.fileKey(Buffer.from(salt));
    this.#header = Buffer.from(h);
    this.#record = 2 ** log2 + TAG_BYTES;
  }

  #open(record: Buffer, final: boolean): Buffer {
    const header = this.#header as Buffer;
    const d = createDecipheriv('aes-256-gcm', this.#key as Buffer, nonceFor(this.#nonce as Buffer, this.#counter));
    d.setAAD(aad(header, this.#counter, final));
    d.setAuthTag(record.subarray(record.length - TAG_BYTES));
    const body = d.update(record.subarray(0, record.length - TAG_BYTES));
    try {
      d.final();
    } catch {
      throw new DecryptionError(
        `${this.#what}: chunk ${this.#counter} failed authentication (wrong key, or the file was altered or truncated)`,
      );
    }
    this.#counter++;
    return body;
  }
}

/** Runs a source through an encryptor or decryptor, keeping backpressure. */
export async function* transformChunks(
  source: AsyncIterable<Buffer>,
  t: { push(b: Buffer): Buffer[]; finish(): Buffer[] },
): AsyncGenerator<Buffer> {
  for await (const chunk of source) yield* t.push(chunk);
  yield* t.finish();
}
