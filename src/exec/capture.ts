/** Collects a command's output: stdout (bounded, or streamed on) and the tail of stderr. */
import type { Readable, Writable } from 'node:stream';
import { MAX_CAPTURE, STDERR_TAIL } from './types.ts';

export interface Capture {
  /** Resolves when stdout and stderr have ended and a streamed stdout target has finished. */
  done: Promise<void>;
  stdout(): string;
  stderr(): string;
}

/**
 * Wires `out` and `err` of a running command. `onOverflow` is called once when stdout exceeds
 * MAX_CAPTURE without a target (the caller kills the command); `onSinkError` when the target fails.
 */
export function capture(
  out: Readable,
  err: Readable,
  sink: Writable | undefined,
  onOverflow: () => void,
  onSinkError: (e: Error) => void,
): Capture {
  const outChunks: Buffer[] = [];
  let outBytes = 0;
  let errTail = Buffer.alloc(0);
  const ended: Array<Promise<void>> = [];

  err.on('data', (chunk: Buffer) => {
    errTail = Buffer.concat([errTail, chunk]);
    if (errTail.length > STDERR_TAIL) errTail = errTail.subarray(errTail.length - STDERR_TAIL);
  });
  ended.push(endOf(err));

  if (sink) {
    out.pipe(sink);
    ended.push(
      new Promise<void>((resolve) => {
        sink.once('finish', resolve);
        sink.once('close', resolve);
        sink.once('error', (e: Error) => {
          onSinkError(e);
          resolve();
        });
      }),
    );
  } else {
    let overflowed = false;
    out.on('data', (chunk: Buffer) => {
      if (overflowed) return;
      outBytes += chunk.length;
      if (outBytes > MAX_CAPTURE) {
        overflowed = true;
        outChunks.length = 0;
        onOverflow();
        return;
      }
      outChunks.push(chunk);
    });
    ended.push(endOf(out));
  }

  return {
    done: Promise.all(ended).then(() => undefined),
    stdout: () => Buffer.concat(outChunks).toString('utf8'),
    stderr: () => errTail.toString('utf8'),
  };
}

function endOf(stream: Readable): Promise<void> {
  return new Promise((resolve) => {
    if (stream.readableEnded || stream.destroyed) return resolve();
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
}
