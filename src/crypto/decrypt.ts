/**
 * Turns encrypted offsite files back into plain files. Output goes to a temporary name and is
 * renamed only once the last chunk authenticated, so a tampered or truncated file never leaves a
 * plausible-looking plain file behind.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readLocalManifest, setFiles } from '../offsite/set-manifest.ts';
import { assertRelPath } from '../offsite/paths.ts';
import { walkFiles } from '../offsite/walk.ts';
import { ChunkDecryptor, ChunkEncryptor, DecryptionError, transformChunks } from './chunked.ts';
import type { OffsiteKey } from './key.ts';

async function* hashing(src: AsyncIterable<Buffer>, h: ReturnType<typeof createHash>): AsyncGenerator<Buffer> {
  for await (const c of src) {
    h.update(c);
    yield c;
  }
}

/**
 * Decrypts `src` into `dest`. With `expectSha`, the plain bytes must have that sha256.
 * Throws DecryptionError; `dest` is untouched on failure.
 */
export async function decryptFile(key: OffsiteKey, src: string, dest: string, expectSha?: string, what = src): Promise<void> {
  const tmp = `${dest}.decrypting`;
  const h = createHash('sha256');
  try {
    const plain = transformChunks(createReadStream(src, { highWaterMark: 256 * 1024 }), new ChunkDecryptor(key, what));
    await pipeline(Readable.from(hashing(plain, h)), createWriteStream(tmp));
    if (expectSha !== undefined && h.digest('hex') !== expectSha) {
      throw new DecryptionError(`${what}: decrypted content does not match the manifest checksum`);
    }
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Encrypts `src` into `dest` (the offsite copy encrypts on the fly; this is for tools and tests). */
export async function encryptFile(key: OffsiteKey, src: string, dest: string): Promise<void> {
  const enc = transformChunks(createReadStream(src, { highWaterMark: 256 * 1024 }), new ChunkEncryptor(key));
  await pipeline(Readable.from(enc), createWriteStream(dest));
}

export interface DecryptSetResult {
  files: number;
}

/**
 * Decrypts every `.enc` file of a pulled set (its files and the Elasticsearch repository folder),
 * checking plain checksums against the manifest, and removes each `.enc` once its plain file is in place.
 */
export async function decryptSet(opts: { root: string; label: string; key: OffsiteKey }): Promise<DecryptSetResult> {
  const manifest = await readLocalManifest(opts.root, opts.label);
  let files = 0;
  for (const f of setFiles(manifest)) {
    const enc = join(opts.root, `${f.rel}.enc`);
    if (!(await fileExists(enc))) continue;
    await decryptFile(opts.key, enc, join(opts.root, f.rel), f.sha256, f.rel);
    await rm(enc);
    files++;
  }
  for (const a of manifest.artifacts.filter((x) => x.kind === 'es-snapshot')) {
    const dir = join(opts.root, assertRelPath(a.path));
    for (const f of await walkFiles(dir)) {
      if (!f.rel.endsWith('.enc')) continue;
      const plainRel = f.rel.slice(0, -4);
      await decryptFile(opts.key, join(dir, f.rel), join(dir, plainRel), undefined, `${a.path}/${plainRel}`);
      await rm(join(dir, f.rel));
      files++;
    }
  }
  return { files };
}

function fileExists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}
