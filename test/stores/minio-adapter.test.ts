/**
 * The MinIO adapter against the real MinIO of the harness: backup → verify → damage the bucket →
 * restore gives back exactly the seeded objects (bytes, content-type, user metadata); large
 * objects survive a multipart round trip; a damaged file is refused before the bucket is touched.
 */
import { createHash } from 'node:crypto';
import { open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Client } from 'minio';
import { afterAll, describe, expect, it } from 'vitest';
import { VerificationError } from '../../src/errors.ts';
import type { Config } from '../../src/config.ts';
import { createMinioAdapter } from '../../src/stores/minio/index.ts';
import type { Artifact, StoreAdapter, StoreContext } from '../../src/stores/types.ts';
import { seedMinio } from '../../scripts/seed/minio.ts';
import { testConfig } from '../helpers/env.ts';

const adapters: StoreAdapter[] = [];
const roots: string[] = [];
afterAll(async () => {
  await Promise.all(adapters.map((a) => a.close()));
  await Promise.all(roots.map((r) => rm(r, { recursive: true, force: true })));
});

function setup(overrides: Record<string, string> = {}): { config: Config; adapter: StoreAdapter; client: Client; ctx: StoreContext } {
  const config = testConfig(overrides);
  roots.push(config.backupRoot);
  const adapter = createMinioAdapter(config);
  adapters.push(adapter);
  const url = new URL(config.minio.url);
  const client = new Client({ endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey: config.minio.accessKey, secretKey: config.minio.secretKey });
  const ctx: StoreContext = { label: `t${Date.now()}`, root: config.backupRoot, signal: AbortSignal.timeout(600_000), progress: () => undefined };
  return { config, adapter, client, ctx };
}

/** What a user of the bucket sees: every key with its bytes' sha256, size, content-type and metadata. */
async function fingerprint(client: Client, bucket: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const item of client.listObjectsV2(bucket, '', true)) {
    const key = (item as { name?: string }).name;
    if (!key) continue;
    const st = await client.statObject(bucket, key);
    const hash = createHash('sha256');
    for await (const chunk of await client.getObject(bucket, key)) hash.update(chunk as Buffer);
    const meta = Object.entries(st.metaData as Record<string, string>)
      .filter(([k]) => !k.startsWith('x-amz-'))
      .sort(([a], [b]) => a.localeCompare(b));
    out[key] = JSON.stringify({ size: st.size, sha256: hash.digest('hex'), meta });
  }
  return out;
}

/** `size` deterministic bytes, streamed. */
function bytes(size: number, fill: number): Readable {
  async function* gen(): AsyncGenerator<Buffer> {
    for (let left = size, i = 0; left > 0; i++) {
      const n = Math.min(1 << 20, left);
      const chunk = Buffer.alloc(n, (fill + i) & 0xff);
      chunk.writeUInt32BE(i, 0);
      left -= n;
      yield chunk;
    }
  }
  return Readable.from(gen(), { objectMode: false });
}

async function freshBucket(client: Client, bucket: string): Promise<void> {
  if (await client.bucketExists(bucket)) {
    const keys: string[] = [];
    for await (const item of client.listObjectsV2(bucket, '', true)) {
      const name = (item as { name?: string }).name;
      if (name) keys.push(name);
    }
    if (keys.length > 0) await client.removeObjects(bucket, keys);
  } else await client.makeBucket(bucket);
}

describe('minio adapter on a real MinIO', () => {
  it('restores exactly the seeded objects after deletes, overwrites and an extra object', async () => {
    const { config, adapter, client, ctx } = setup({ MINIO_BUCKETS: 'ocrvs' });
    const seeded = await seedMinio(config, { scale: 1, seed: 11 });
    expect(seeded['ocrvs.objects']).toBeGreaterThanOrEqual(30);
    const before = await fingerprint(client, 'ocrvs');
    expect(Object.keys(before)).toHaveLength(seeded['ocrvs.objects'] as number);
    expect(Object.values(before).join()).toMatch(/image\/png/);
    expect(Object.values(before).join()).toMatch(/application\/pdf/);
    expect(Object.values(before).join()).toMatch(/registration-id/);

    const started = Date.now();
    const artifacts = await adapter.backup(ctx);
    const seconds = (Date.now() - started) / 1000;
    expect(artifacts).toHaveLength(1);
    const [artifact] = artifacts as [Artifact];
    expect(artifact.path).toBe(`minio/ocrvs-${ctx.label}.tar.gz`);
    expect(artifact.counts).toEqual(seeded);
    expect((await stat(join(ctx.root, artifact.path))).size).toBe(artifact.bytes);
    process.stderr.write(`minio backup: ${(seeded['ocrvs.bytes'] as number) / 1e6} MB in ${seconds.toFixed(2)} s\n`);
    expect(await adapter.verify(artifacts, ctx)).toEqual([]);

    const keys = Object.keys(before).sort();
    await client.removeObjects('ocrvs', keys.slice(0, 3));
    await client.putObject('ocrvs', keys[3] as string, bytes(5000, 1), 5000, { 'content-type': 'text/plain', 'registration-id': 'tampered' });
    await client.putObject('ocrvs', keys[4] as string, bytes(1000, 2), 1000, { 'content-type': 'image/png' });
    await client.putObject('ocrvs', 'extra/not-in-backup.txt', bytes(10, 3), 10, { 'content-type': 'text/plain' });
    expect(await fingerprint(client, 'ocrvs')).not.toEqual(before);

    const counts = await adapter.restore(artifacts, ctx);
    expect(counts).toEqual(seeded);
    expect(await fingerprint(client, 'ocrvs')).toEqual(before);
    expect(await adapter.counts()).toEqual(seeded);
  });

  it('round-trips a large object (multipart upload on restore) and awkward keys', async () => {
    const bucket = 'crvs-test-large';
    const { adapter, client, ctx } = setup({ MINIO_BUCKETS: bucket });
    await freshBucket(client, bucket);
    const size = 40 * 1024 * 1024 + 12_345;
    await client.putObject(bucket, 'scans/big.pdf', bytes(size, 9), size, { 'content-type': 'application/pdf', 'document-type': 'archive-scan' });
    await client.putObject(bucket, 'small.jpg', bytes(2048, 4), 2048, { 'content-type': 'image/jpeg' });
    // Keys a plain tar path cannot hold as they are: very long, a folder marker, spaces and accents.
    const awkward = [`${'a'.repeat(140)}/${'b'.repeat(120)}.png`, 'folder/', 'scans/with space é.pdf'];
    for (const key of awkward) await client.putObject(bucket, key, bytes(key.endsWith('/') ? 0 : 777, 5), key.endsWith('/') ? 0 : 777, { 'content-type': 'image/png' });
    const before = await fingerprint(client, bucket);
    expect(Object.keys(before)).toHaveLength(5);

    const started = Date.now();
    const artifacts = await adapter.backup(ctx);
    process.stderr.write(`minio backup (large): ${(size / 1e6 / ((Date.now() - started) / 1000)).toFixed(1)} MB/s\n`);
    expect(artifacts[0]?.counts).toEqual({ [`${bucket}.objects`]: 5, [`${bucket}.bytes`]: size + 2048 + 2 * 777 });
    expect(await adapter.verify(artifacts, ctx)).toEqual([]);

    await client.removeObject(bucket, 'scans/big.pdf');
    await client.removeObject(bucket, 'folder/');
    await adapter.restore(artifacts, ctx);
    expect(await fingerprint(client, bucket)).toEqual(before);
    // More than one part: the etag of a multipart upload ends in -<parts>.
    expect((await client.statObject(bucket, 'scans/big.pdf')).etag).toMatch(/-\d+$/);
  });

  it('refuses a damaged file before touching the bucket', async () => {
    const bucket = 'crvs-test-corrupt';
    const { adapter, client, ctx } = setup({ MINIO_BUCKETS: bucket });
    await freshBucket(client, bucket);
    for (let i = 0; i < 5; i++) await client.putObject(bucket, `doc-${i}.png`, bytes(300_000, i), 300_000, { 'content-type': 'image/png' });
    const artifacts = await adapter.backup(ctx);
    const file = join(ctx.root, (artifacts[0] as Artifact).path);

    // Flip bytes in the middle of the file, as a bad disk or a broken copy would.
    const fh = await open(file, 'r+');
    const { size } = await fh.stat();
    const at = Math.floor(size / 2);
    const buf = Buffer.alloc(16);
    await fh.read(buf, 0, 16, at);
    for (let i = 0; i < buf.length; i++) buf[i] = (buf[i] as number) ^ 0xff;
    await fh.write(buf, 0, 16, at);
    await fh.close();

    await client.removeObject(bucket, 'doc-0.png');
    await client.putObject(bucket, 'after-backup.txt', bytes(10, 1), 10, { 'content-type': 'text/plain' });
    const current = await fingerprint(client, bucket);

    const problems = await adapter.verify(artifacts, ctx);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toContain((artifacts[0] as Artifact).path);
    const err = await adapter.restore(artifacts, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerificationError);
    expect(await fingerprint(client, bucket)).toEqual(current);
  });
});
