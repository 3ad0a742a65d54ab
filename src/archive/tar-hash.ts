/** A pass-through stream that hashes (sha256) and counts the bytes flowing through it. */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export class HashCounter extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
  /** Hex sha256 of everything seen; call once, after the stream ended. */
  digest(): string {
    return this.hash.digest('hex');
  }
}

/** Wraps an async byte source so its sha256 and length are known once it has been read through. */
export function hashing(source: AsyncIterable<Buffer>): { stream: AsyncGenerator<Buffer>; result(): { sha256: string; bytes: number } } {
  const hash = createHash('sha256');
  let bytes = 0;
  let digest: string | undefined;
  async function* stream(): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      hash.update(chunk);
      bytes += chunk.length;
      yield chunk;
    }
    digest = hash.digest('hex');
  }
  return {
    stream: stream(),
    result() {
      if (digest === undefined) throw new Error('hashing(): the source was not read to its end');
      return { sha256: digest, bytes };
    },
  };
}
