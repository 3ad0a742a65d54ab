/**
 * The .tar.gz writer (src/archive/tar-write.ts), whose gzip output is written by a sink that gives
 * zlib's buffers back as soon as they are on disk: the archive reads back to exactly the bytes
 * written, at sizes around those buffers; the size and sha256 it reports are the file's own; a
 * disk that refuses the file is an error, and an aborted archive leaves nothing behind.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { noise } from '../helpers/noise.ts';
import { CHUNK_BYTES } from '../../src/archive/file-chunks.ts';
import { forEachTarGzEntry } from '../../src/archive/tar-read.ts';
import { createTarGzWriter } from '../../src/archive/tar-write.ts';

const dir = mkdtempSync(join(tmpdir(), 'tar-write-'));

/** The source in pieces of `piece` bytes, as a stream hands them over. */
async function* pieces(data: Buffer, piece: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < data.length; at += piece) yield data.subarray(at, at + piece);
}

async function readBack(file: string): Promise<{ entries: Map<string, Buffer>; file: { bytes: number; sha256: string } | undefined }> {
  const entries = new Map<string, Buffer>();
  const result = await forEachTarGzEntry(file, async (h, content) => {
    const parts: Buffer[] = [];
    for await (const c of content) parts.push(Buffer.from(c));
    entries.set(h.name, Buffer.concat(parts));
  });
  return { entries, file: result };
}

describe('tar.gz writer', () => {
  for (const strategy of [undefined, constants.Z_RLE]) {
    it(`writes entries around gzip's buffer size that read back byte for byte (${strategy === undefined ? 'default' : 'run-length'} strategy)`, async () => {
      const file = join(dir, `set-${strategy ?? 'default'}.tar.gz`);
      const w = createTarGzWriter(file, { strategy });
      const sizes = [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES + 17];
      const written = new Map<string, Buffer>();
      await w.addBuffer('header.json', Buffer.from('{"format":1}\n'));
      written.set('header.json', Buffer.from('{"format":1}\n'));
      for (const [i, n] of sizes.entries()) {
        // Half noise, half zeros: both full and partly filled output buffers.
        const data = Buffer.concat([noise(n - (n >> 2), n + 1), Buffer.alloc(n >> 2)]);
        await w.addStream(`e-${n}`, n, pieces(data, [65_536, 1_000, 300_000][i % 3] as number));
        written.set(`e-${n}`, data);
      }
      const done = await w.finish();

      const onDisk = readFileSync(file);
      expect(done).toEqual({ bytes: onDisk.length, sha256: createHash('sha256').update(onDisk).digest('hex') });
      const back = await readBack(file);
      expect(back.file).toEqual(done);
      expect([...back.entries.keys()]).toEqual([...written.keys()]);
      for (const [name, data] of written) expect(back.entries.get(name)?.equals(data), name).toBe(true);
      expect(readdirSync(dir).filter((f) => f.endsWith('.partial'))).toEqual([]);
    });
  }

  it('fails when the disk refuses the file, and an aborted archive leaves no file behind', async () => {
    const refused = createTarGzWriter(join(dir, 'no-such-dir', 'x.tar.gz'));
    const adding = refused.addStream('a', 1024, pieces(noise(1024, 3), 512));
    await expect(Promise.all([adding, refused.finish()])).rejects.toThrow(/ENOENT/);

    const file = join(dir, 'aborted.tar.gz');
    const w = createTarGzWriter(file);
    await w.addStream('a', 2 * CHUNK_BYTES, pieces(noise(2 * CHUNK_BYTES, 4), 65_536));
    await w.abort();
    expect(existsSync(file)).toBe(false);
    expect(existsSync(`${file}.partial`)).toBe(false);
  });
});
