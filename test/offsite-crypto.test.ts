/** Offsite encryption: encrypted copy to the real sshd → pull → decrypt gives the original bytes; tampering is caught. */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChunkDecryptor, ChunkEncryptor, DecryptionError, HEADER_BYTES } from '../src/crypto/chunked.ts';
import { decryptFile, decryptSet } from '../src/crypto/decrypt.ts';
import { loadOffsiteKey, OffsiteKey } from '../src/crypto/key.ts';
import { copySetOffsite, pullSet } from '../src/offsite/index.ts';
import { setFiles } from '../src/offsite/set-manifest.ts';
import type { Config } from '../src/config.ts';
import { testConfig } from './helpers/env.ts';
import { fileSha, makeSet } from './helpers/offsite-set.ts';

const SECRET = 'correct horse battery staple offsite';

function encConfig(): Config {
  const base = testConfig();
  const dir = join(base.backupServer?.dir ?? '', `enc-${Date.now()}-${randomBytes(3).toString('hex')}`);
  const keyFile = join(base.backupRoot, 'offsite.key');
  writeFileSync(keyFile, `${SECRET}\n`, { mode: 0o600 });
  return testConfig({ BACKUP_ROOT: base.backupRoot, BACKUP_SERVER_DIR: dir, OFFSITE_ENCRYPTION_KEY_FILE: keyFile });
}

function roundTrip(key: OffsiteKey, plain: Buffer, pieces: number): Buffer {
  const enc = new ChunkEncryptor(key);
  const out: Buffer[] = [];
  const step = Math.max(1, Math.ceil(plain.length / pieces));
  for (let i = 0; i < plain.length; i += step) out.push(...enc.push(plain.subarray(i, i + step)));
  out.push(...enc.finish());
  const sealed = Buffer.concat(out);
  const dec = new ChunkDecryptor(key, 'test');
  const back: Buffer[] = [];
  for (let i = 0; i < sealed.length; i += 1000) back.push(...dec.push(sealed.subarray(i, i + 1000)));
  back.push(...dec.finish());
  return Buffer.concat(back);
}

describe('offsite encryption', () => {
  it('round-trips any size, whatever the piece boundaries', () => {
    const key = new OffsiteKey(Buffer.from(SECRET));
    for (const n of [0, 1, 65_535, 65_536, 65_537, 3 * 65_536, 200_001]) {
      const plain = randomBytes(n);
      expect(roundTrip(key, plain, 7).equals(plain), `size ${n}`).toBe(true);
    }
    expect(JSON.stringify({ key })).not.toContain(SECRET);
  });

  it('copies encrypted, pulls back, decrypts to the original bytes; a second copy sends nothing', async () => {
    const config = encConfig();
    const manifest = await makeSet(config.backupRoot, '2026-11-26', { bigMiB: 3 });
    const r = await copySetOffsite({ config, manifest, localRoot: config.backupRoot });
    expect(r.encrypted).toBe(true);
    const dir = config.backupServer?.dir ?? '';
    const record = JSON.parse(readFileSync(join(dir, '2026-11-26/offsite.json'), 'utf8')) as { files: Array<{ remote: string; sha256: string }> };
    for (const f of setFiles(manifest)) {
      const stored = join(dir, '2026-11-26', `${f.rel}.enc`);
      expect(readFileSync(stored).subarray(0, 7).toString()).toBe('CRVSENC');
      expect(existsSync(join(dir, '2026-11-26', f.rel))).toBe(false);
      // The checksum recorded is the one of the stored (encrypted) bytes.
      expect(record.files.find((x) => x.remote === `${f.rel}.enc`)?.sha256).toBe(fileSha(stored));
    }
    expect(readdirSync(join(dir, 'elasticsearch')).every((n) => n.endsWith('.enc') || n === 'indices')).toBe(true);

    const again = await copySetOffsite({ config, manifest, localRoot: config.backupRoot });
    expect(again.files).toBe(0);
    expect(again.bytesSent).toBe(0);

    const restoreRoot = mkdtempSync(join(config.backupRoot, 'pulled-'));
    const pulled = await pullSet({ config, label: '2026-11-26', localRoot: restoreRoot });
    expect(pulled.encrypted).toBe(true);
    expect(existsSync(join(restoreRoot, 'manifests/2026-11-26.json'))).toBe(true);
    // Decrypted in the staging folder on the way in: nothing is left for decryptSet to do.
    expect(pulled.decrypted).toBe(setFiles(manifest).length + 6);
    const key = loadOffsiteKey(config);
    if (!key) throw new Error('no key');
    expect((await decryptSet({ root: restoreRoot, label: '2026-11-26', key })).files).toBe(0);
    for (const f of setFiles(manifest)) expect(fileSha(join(restoreRoot, f.rel)), f.rel).toBe(f.sha256);
    for (const es of ['index-0', 'index.latest']) {
      expect(fileSha(join(restoreRoot, 'elasticsearch', es))).toBe(fileSha(join(config.backupRoot, 'elasticsearch', es)));
    }
    expect(readdirSync(join(restoreRoot, 'mongo')).some((n) => n.endsWith('.enc'))).toBe(false);
  });

  it('refuses a tampered chunk, a truncated file and a wrong key with a clear error, leaving no plain file', async () => {
    const config = encConfig();
    const manifest = await makeSet(config.backupRoot, '2026-11-27', { es: false });
    await copySetOffsite({ config, manifest, localRoot: config.backupRoot });
    const key = loadOffsiteKey(config);
    if (!key) throw new Error('no key');
    const stored = join(config.backupServer?.dir ?? '', '2026-11-27/influxdb/2026-11-27/ocrvs.autogen.00001.00.enc');
    const work = mkdtempSync(join(config.backupRoot, 'tamper-'));

    const tampered = join(work, 'tampered.enc');
    copyFileSync(stored, tampered);
    const bytes = readFileSync(tampered);
    const at = HEADER_BYTES + 65_536 + 16 + 10; // inside chunk 1
    bytes[at] = (bytes[at] as number) ^ 0x01;
    writeFileSync(tampered, bytes);
    const e1 = await decryptFile(key, tampered, join(work, 'out1')).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(DecryptionError);
    expect((e1 as Error).message).toMatch(/chunk 1 failed authentication/);
    expect(existsSync(join(work, 'out1'))).toBe(false);

    const truncated = join(work, 'truncated.enc');
    copyFileSync(stored, truncated);
    truncateSync(truncated, HEADER_BYTES + 65_536 + 16); // drops the whole last chunk
    const e2 = await decryptFile(key, truncated, join(work, 'out2')).catch((e: unknown) => e);
    expect((e2 as Error).message).toMatch(/chunk 0 failed authentication .*truncated/);
    expect(existsSync(join(work, 'out2'))).toBe(false);

    const wrong = new OffsiteKey(Buffer.from('another key of enough length'));
    const e3 = await decryptFile(wrong, stored, join(work, 'out3')).catch((e: unknown) => e);
    expect((e3 as Error).message).toMatch(/wrong key/);

    await decryptFile(key, stored, join(work, 'ok'));
    expect(fileSha(join(work, 'ok'))).toBe(setFiles(manifest).find((f) => f.rel.endsWith('00001.00'))?.sha256);
  });
});
