/**
 * Reading files into reused buffers (src/archive/file-chunks.ts): the sha256 of a file and the
 * inflated bytes of a gzipped one are exactly what reading it whole gives, at every size around
 * the buffer sizes; a damaged or missing file is an error, never short data.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { noise } from '../helpers/noise.ts';
import { CHUNK_BYTES, gunzipFile } from '../../src/archive/file-chunks.ts';
import { sha256File } from '../../src/backup/checksum.ts';

const dir = mkdtempSync(join(tmpdir(), 'file-chunks-'));

async function inflate(file: string): Promise<Buffer> {
  const g = gunzipFile(file);
  const copies: Buffer[] = [];
  try {
    for await (const chunk of g.chunks) {
      copies.push(Buffer.from(chunk as Buffer));
      g.release(chunk as Buffer);
    }
  } finally {
    g.close();
  }
  return Buffer.concat(copies);
}

describe('file chunks', () => {
  it('hashes files of every size around the read buffer exactly as a whole read does', async () => {
    for (const n of [0, 1, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3.5 * (1 << 20)]) {
      const data = noise(n, n + 1);
      const file = join(dir, `f-${n}`);
      writeFileSync(file, data);
      expect(await sha256File(file)).toEqual({ sha256: createHash('sha256').update(data).digest('hex'), bytes: n });
    }
  });

  it('inflates gzipped files around the chunk size to exactly their bytes, giving buffers back as it goes', async () => {
    for (const n of [0, 100, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES * 3 + 17]) {
      // Half noise, half zeros: several compressed reads and many full output chunks.
      const data = Buffer.concat([noise(n >> 1, n), Buffer.alloc(n - (n >> 1))]);
      const file = join(dir, `g-${n}.gz`);
      writeFileSync(file, gzipSync(data));
      expect((await inflate(file)).equals(data)).toBe(true);
    }
  });

  it('fails on a damaged or missing file instead of ending early', async () => {
    const gz = gzipSync(noise(2 * CHUNK_BYTES, 5));
    writeFileSync(join(dir, 'cut.gz'), gz.subarray(0, gz.length >> 1));
    await expect(inflate(join(dir, 'cut.gz'))).rejects.toThrow(/unexpected end of file/);
    await expect(inflate(join(dir, 'missing.gz'))).rejects.toThrow(/ENOENT/);
  });
});
