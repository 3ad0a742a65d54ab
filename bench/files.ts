/** Small helpers the benches share (the tests' offsite set uses makeFile too), with no imports of the bot's own modules (children stay light). */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { once } from 'node:events';
import { dirname } from 'node:path';

/** Writes `size` MiB of random bytes to `path`; returns their sha256. */
export async function makeFile(path: string, size: number): Promise<string> {
  mkdirSync(dirname(path), { recursive: true });
  const h = createHash('sha256');
  const out = createWriteStream(path);
  // Random data: a real dump is compressed, so it does not compress further either.
  for (let i = 0; i < size; i++) {
    const piece = randomBytes(1024 * 1024);
    h.update(piece);
    if (!out.write(piece)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return h.digest('hex');
}

/** The middle value (the upper one of the two middles for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}
