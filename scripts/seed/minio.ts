/**
 * Seeds the MinIO bucket `ocrvs` with attachment-like objects: PNG, PDF and JPEG files of mixed
 * sizes with OpenCRVS-style user metadata. The bytes are deterministic (AES-CTR keystream keyed
 * from the seeded PRNG, fast enough for large files) and streamed, never built in memory.
 * Scale 1 is ~40 objects / ~15 MB; from scale 4 on some objects exceed 64 MiB (multipart uploads).
 */
import { createCipheriv } from 'node:crypto';
import { Readable } from 'node:stream';
import { bucketCounts, createMinioClient, emptyBucket } from '../../src/stores/minio/client.ts';
import { createRng, type Rng } from './rng.ts';
import type { Seeder } from './types.ts';

export const SEED_BUCKET = 'ocrvs';
const CHUNK = 1 << 20;
const MiB = 1024 * 1024;

const KINDS = [
  { ext: 'png', contentType: 'image/png', magic: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { ext: 'pdf', contentType: 'application/pdf', magic: Buffer.from('%PDF-1.7\n') },
  { ext: 'jpg', contentType: 'image/jpeg', magic: Buffer.from([0xff, 0xd8, 0xff, 0xe0]) },
] as const;
const DOCUMENT_TYPES = ['birth-certificate', 'proof-of-address', 'national-id', 'death-certificate', 'signature'] as const;
const OFFICES = ['ibombo', 'isamba', 'itambo', 'ezhi', 'ilanga'] as const;

/** `size` deterministic bytes: the file type's magic number, then a keystream keyed by `keyHex`. */
function attachmentStream(size: number, keyHex: string, magic: Buffer): Readable {
  const cipher = createCipheriv('aes-128-ctr', Buffer.from(keyHex, 'hex'), Buffer.alloc(16));
  const zeros = Buffer.alloc(CHUNK);
  async function* chunks(): AsyncGenerator<Buffer> {
    let left = size;
    let first = true;
    while (left > 0) {
      const n = Math.min(CHUNK, left);
      let chunk = cipher.update(zeros.subarray(0, n));
      if (first) {
        chunk = Buffer.concat([magic.subarray(0, n), chunk.subarray(Math.min(magic.length, n))]);
        first = false;
      }
      left -= n;
      yield chunk;
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

/** Mostly small scans and photos, a few larger PDFs. */
function pickSize(rng: Rng): number {
  const r = rng.next();
  if (r < 0.1) return rng.int(0, 2048);
  if (r < 0.85) return rng.int(20_000, 400_000);
  return rng.int(1 * MiB, 3 * MiB);
}

function pickKey(rng: Rng, ext: string, i: number): string {
  const id = `${rng.hex(8)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(4)}-${rng.hex(12)}`;
  // OpenCRVS keeps attachments at the bucket root; a few nested keys exercise folders in the tar.
  return i % 5 === 4 ? `documents/${rng.pick(OFFICES)}/${id}.${ext}` : `${id}.${ext}`;
}

export const seedMinio: Seeder = async (config, { scale, seed }) => {
  const client = createMinioClient(config.minio, 120_000);
  const rng = createRng(seed);
  if (await client.bucketExists(SEED_BUCKET)) await emptyBucket(client, SEED_BUCKET, AbortSignal.timeout(10 * 60_000));
  else await client.makeBucket(SEED_BUCKET);
  const count = Math.max(1, Math.round(40 * scale));
  const large = scale >= 4 ? Math.floor(scale / 4) : 0;
  for (let i = 0; i < count + large; i++) {
    const kind = rng.pick(KINDS);
    const size = i < count ? pickSize(rng) : rng.int(65 * MiB, 80 * MiB);
    const key = pickKey(rng, kind.ext, i);
    const metadata = {
      'content-type': kind.contentType,
      'registration-id': rng.hex(24),
      'document-type': rng.pick(DOCUMENT_TYPES),
      'uploaded-by': `user-${rng.int(1, 50)}`,
    };
    await client.putObject(SEED_BUCKET, key, attachmentStream(size, rng.hex(32), kind.magic), size, metadata);
  }
  const counts = await bucketCounts(client, [SEED_BUCKET]);
  return { [`${SEED_BUCKET}.objects`]: counts[`${SEED_BUCKET}.objects`] ?? 0, [`${SEED_BUCKET}.bytes`]: counts[`${SEED_BUCKET}.bytes`] ?? 0 };
};
