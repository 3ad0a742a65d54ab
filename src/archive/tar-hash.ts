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
