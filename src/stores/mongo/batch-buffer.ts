/**
 * The documents of one insert batch, copied out of the archive reader's buffers and back to back
 * into one buffer of their own — as they go on the wire — which is freed the moment the server has
 * answered for the batch.
 *
 * Why: a batch waits while earlier ones are in flight, so what holds it outlives V8's young-generation
 * collections and is promoted; promoted buffers are only given back by a full collection, and until
 * then the load's memory grew with the number of batches — with the size of the data. One buffer
 * and one object per batch (not one per document), freed explicitly, leave nothing to promote.
 */
import { releaseBuffer } from '../../archive/file-chunks.ts';

const FIRST_BYTES = 16 * 1024;

export class BatchBuffer {
  count = 0;
  private block: Buffer | undefined;
  private used = 0;

  /** Copies one document in (the buffer doubles when full, so a batch of a few small documents holds little). */
  add(doc: Uint8Array): void {
    if (!this.block || this.block.length - this.used < doc.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(this.block ? this.block.length * 2 : FIRST_BYTES, this.used + doc.length));
      if (this.block) {
        this.block.copy(grown, 0, 0, this.used);
        releaseBuffer(this.block);
      }
      this.block = grown;
    }
    this.block.set(doc, this.used);
    this.used += doc.length;
    this.count++;
  }

  /** The documents back to back; valid until free(). */
  get bytes(): Buffer {
    return this.block ? this.block.subarray(0, this.used) : Buffer.alloc(0);
  }

  /** Gives the buffer back now; `bytes` becomes empty. Call once nothing will read the documents again. */
  free(): void {
    if (this.block) releaseBuffer(this.block);
    this.block = undefined;
    this.used = 0;
  }
}
