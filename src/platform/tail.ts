/** Keeps the last bytes of a long output (a deploy prints a lot) without holding all of it. */
import { Writable } from 'node:stream';

export function tailSink(limit: number): { sink: Writable; text: () => string } {
  let tail = Buffer.alloc(0);
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      tail = Buffer.concat([tail, chunk]);
      if (tail.length > limit) tail = tail.subarray(tail.length - limit);
      cb();
    },
  });
  return { sink, text: () => tail.toString('utf8') };
}
