/**
 * Encryption of large files on a worker thread, so that AES-256-GCM and the two sha256s of an
 * encrypted upload (of the plaintext, checked against the manifest, and of the ciphertext,
 * compared with the server's) run beside the SSH transport on the main thread instead of taking
 * turns with it. The worker receives one derived file key per file, never the master key, through
 * memory only (no argv, no environment, no file).
 */
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { BotError } from '../errors.ts';
import { NONCE_BYTES, SALT_BYTES } from './chunked.ts';
import type { FromWorker, ToWorker } from './encrypt-worker.ts';
import type { OffsiteKey } from './key.ts';

/** What an encryption produced: size and sha256 of the ciphertext, sha256 of the plaintext. */
export interface Encrypted {
  bytes: number;
  sha256: string;
  plainSha256: string;
}

/** The worker could not read or encrypt a file. */
export class EncryptError extends BotError {
  constructor(message: string) {
    super('encrypt_failed', message);
  }
}

interface Sink {
  queue: Buffer[];
  wake: (() => void) | undefined;
  ended: Encrypted | undefined;
  error: Error | undefined;
}

/** One worker thread encrypting any number of files at once; `close` ends it. */
export class EncryptWorker {
  readonly #worker: Worker;
  readonly #sinks = new Map<number, Sink>();
  #next = 1;
  #broken: Error | undefined;
  #ready: (() => void) | undefined;

  /**
   * A worker that has loaded, or undefined when none can start here (a runtime that cannot load
   * the worker's TypeScript, say): the caller then encrypts on its own thread. Bounded wait.
   */
  static async start(timeoutMs = 15_000): Promise<EncryptWorker | undefined> {
    let w: EncryptWorker;
    try {
      w = new EncryptWorker();
    } catch {
      return undefined;
    }
    let timer: NodeJS.Timeout | undefined;
    const ok = await new Promise<boolean>((resolve) => {
      w.#ready = () => resolve(true);
      w.#worker.once('error', () => resolve(false));
      w.#worker.once('exit', () => resolve(false));
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    clearTimeout(timer);
    if (ok && !w.#broken) return w;
    await w.close().catch(() => undefined);
    return undefined;
  }

  private constructor() {
    this.#worker = new Worker(new URL('./encrypt-worker.ts', import.meta.url));
    this.#worker.on('message', (m: FromWorker) => this.#receive(m));
    this.#worker.on('error', (err) => this.#fail(new EncryptError(`the encryption worker failed: ${err.message}`)));
    this.#worker.on('exit', () => this.#fail(new EncryptError('the encryption worker stopped')));
    this.#worker.unref();
  }

  /** Ciphertext of `path` as it is produced; `result` settles after the last piece. */
  encrypt(key: Pick<OffsiteKey, 'fileKey'>, path: string): { chunks: AsyncGenerator<Buffer>; result: Promise<Encrypted> } {
    const id = this.#next++;
    const sink: Sink = { queue: [], wake: undefined, ended: undefined, error: this.#broken };
    this.#sinks.set(id, sink);
    // Referenced only while a file is in work: an idle worker never keeps the process alive.
    this.#worker.ref();
    const salt = randomBytes(SALT_BYTES);
    const nonce = randomBytes(NONCE_BYTES);
    if (!this.#broken) this.#send({ type: 'start', id, path, fileKey: key.fileKey(salt), salt, nonce });
    let settle: { resolve: (e: Encrypted) => void; reject: (e: Error) => void } | undefined;
    const result = new Promise<Encrypted>((resolve, reject) => (settle = { resolve, reject }));
    result.catch(() => undefined);
    const send = (m: ToWorker): void => this.#send(m);
    const sinks = this.#sinks;
    const worker = this.#worker;
    async function* chunks(): AsyncGenerator<Buffer> {
      try {
        for (;;) {
          const b = sink.queue.shift();
          if (b) {
            send({ type: 'ack', id });
            yield b;
            continue;
          }
          if (sink.error) throw sink.error;
          if (sink.ended) {
            settle?.resolve(sink.ended);
            return;
          }
          await new Promise<void>((r) => (sink.wake = r));
        }
      } catch (err) {
        settle?.reject(err as Error);
        throw err;
      } finally {
        if (!sink.ended && !sink.error) send({ type: 'cancel', id });
        settle?.reject(new EncryptError(`encryption of ${path} was abandoned`));
        sinks.delete(id);
        if (sinks.size === 0) worker.unref();
      }
    }
    return { chunks: chunks(), result };
  }

  /** Ends the worker (files still being encrypted fail). */
  async close(): Promise<void> {
    await this.#worker.terminate();
  }

  #send(m: ToWorker): void {
    if (!this.#broken) this.#worker.postMessage(m);
  }

  #receive(m: FromWorker): void {
    if (m.type === 'ready') {
      this.#ready?.();
      return;
    }
    const sink = this.#sinks.get(m.id);
    if (!sink) return;
    if (m.type === 'data') sink.queue.push(Buffer.from(m.data, 0, m.length));
    else if (m.type === 'end') sink.ended = { bytes: m.bytes, sha256: m.sha256, plainSha256: m.plainSha256 };
    else sink.error = new EncryptError(`cannot encrypt: ${m.message}`);
    this.#wakeUp(sink);
  }

  #fail(err: Error): void {
    this.#broken ??= err;
    for (const sink of this.#sinks.values()) {
      sink.error ??= err;
      this.#wakeUp(sink);
    }
  }

  #wakeUp(sink: Sink): void {
    const wake = sink.wake;
    sink.wake = undefined;
    wake?.();
  }
}
