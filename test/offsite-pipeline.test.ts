/**
 * The pipelined upload (src/offsite/put.ts) on the real sshd: several connections at once, the
 * server hashing while the next file is sent, final names in the callers' order; large encrypted
 * files encrypted on a worker thread; the server's hash tool and its fallback.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statfsSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decryptFile } from '../src/crypto/decrypt.ts';
import { OffsiteKey } from '../src/crypto/key.ts';
import { shq } from '../src/offsite/paths.ts';
import { putVerified, type PutItem } from '../src/offsite/put.ts';
import { mkdirs, READ_BACK_MAX, remoteFreeSpace, remoteSha256, remoteSizes, sha256Command, storedSha256 } from '../src/offsite/remote.ts';
import { openSession } from '../src/offsite/session.ts';
import { uploadFile } from '../src/offsite/transfer.ts';
import type { OffsiteError } from '../src/offsite/errors.ts';
import { testConfig } from './helpers/env.ts';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function server() {
  const s = testConfig().backupServer;
  if (!s) throw new Error('sshd service variables are missing from .services/env');
  return s;
}

/** Files of mixed sizes under a fresh local folder: small ones, and large ones (≥ 8 MiB) between them. */
function localFiles(n: number, largeAt: number[]): { dir: string; names: string[]; shas: Map<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'crvs-pipeline-'));
  const names: string[] = [];
  const shas = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    const data = largeAt.includes(i) ? randomBytes(9 * 1024 * 1024 + 123) : randomBytes(i * 997);
    const name = `f${String(i).padStart(2, '0')}.bin`;
    writeFileSync(join(dir, name), data);
    names.push(name);
    shas.set(name, sha(data));
  }
  return { dir, names, shas };
}

describe('pipelined offsite upload', () => {
  it('sends files on several connections, verifies each on the server and renames them in the callers\' order', async () => {
    const target = server();
    const { dir, names, shas } = localFiles(24, [5, 6, 17]);
    const remote = join(target.dir, `pipe-${Date.now()}-${randomBytes(3).toString('hex')}`);
    const s = await openSession(target, { timeoutMs: 10_000 });
    try {
      await mkdirs(s, [remote]);
      const items: PutItem[] = names.map((n) => ({ local: join(dir, n), remote: join(remote, n), display: n, expectSha: shas.get(n) }));
      const order: string[] = [];
      const done = await putVerified(s, items, { key: undefined, counters: { uploads: 0, bytesSent: 0 }, lanes: 3, onVerified: (d) => order.push(d.item.display) });
      expect(order).toEqual(names);
      expect(done.map((d) => d.sha256)).toEqual(names.map((n) => shas.get(n)));
      for (const n of names) expect(sha(readFileSync(join(remote, n))), n).toBe(shas.get(n));
      expect(readdirSync(remote).filter((n) => n.endsWith('.part'))).toEqual([]);
    } finally {
      s.close();
    }
  });

  it('encrypts large files on a worker thread: the sha256 recorded is the stored file\'s, and it decrypts to the original', async () => {
    const target = server();
    const { dir, names, shas } = localFiles(5, [1, 3]);
    const remote = join(target.dir, `pipe-enc-${Date.now()}-${randomBytes(3).toString('hex')}`);
    const key = new OffsiteKey(randomBytes(32));
    const s = await openSession(target, { timeoutMs: 10_000 });
    try {
      await mkdirs(s, [remote]);
      const items: PutItem[] = names.map((n) => ({ local: join(dir, n), remote: join(remote, `${n}.enc`), display: n, expectSha: shas.get(n) }));
      const done = await putVerified(s, items, { key, counters: { uploads: 0, bytesSent: 0 } });
      const back = mkdtempSync(join(tmpdir(), 'crvs-pipeline-back-'));
      for (const d of done) {
        const stored = readFileSync(d.item.remote);
        expect(stored.subarray(0, 7).toString()).toBe('CRVSENC');
        expect(d.sha256).toBe(sha(stored));
        expect(d.plainSha256).toBe(shas.get(d.item.display));
        await decryptFile(key, d.item.remote, join(back, d.item.display));
        expect(sha(readFileSync(join(back, d.item.display))), d.item.display).toBe(shas.get(d.item.display));
      }
    } finally {
      s.close();
    }
  });

  it('hashes on the server with openssl, or with sha256sum where there is no openssl: same sums, missing files left out', async () => {
    const target = server();
    const remote = join(target.dir, `hash-${Date.now()}-${randomBytes(3).toString('hex')}`);
    mkdirSync(remote, { recursive: true });
    const a = randomBytes(50_000);
    writeFileSync(join(remote, "it's a file"), a);
    const s = await openSession(target, { timeoutMs: 10_000 });
    try {
      const paths = [join(remote, "it's a file"), join(remote, 'missing')];
      const sums = await remoteSha256(s, paths);
      expect([...sums.entries()]).toEqual([[paths[0], sha(a)]]);
      // A server without openssl: only sha256sum on its PATH.
      const bin = join(remote, 'bin');
      mkdirSync(bin);
      symlinkSync('/usr/bin/sha256sum', join(bin, 'sha256sum'));
      const r = await s.exec(`PATH=${shq(bin)} /bin/sh -c ${shq(sha256Command(paths.map(shq).join(' ')))}`);
      // sha256sum's format (two spaces), not openssl's (`*`): the fallback ran.
      expect(r.stdout).toBe(`${sha(a)}  ${paths[0]}\n`);
      expect(existsSync(paths[1] as string)).toBe(false);
    } finally {
      s.close();
    }
  });

  it('checks stored files from the server\'s disk without a command for small ones: sums, sizes and free space as the server sees them', async () => {
    const target = server();
    const remote = join(target.dir, `stored-${Date.now()}-${randomBytes(3).toString('hex')}`);
    mkdirSync(remote, { recursive: true });
    const small = randomBytes(READ_BACK_MAX - 7);
    const large = randomBytes(READ_BACK_MAX + 1);
    writeFileSync(join(remote, 'small'), small);
    writeFileSync(join(remote, 'large'), large);
    writeFileSync(join(remote, 'longer'), Buffer.concat([small, Buffer.from('x')]));
    mkdirSync(join(remote, 'folder'));
    const p = (n: string): string => join(remote, n);
    const s = await openSession(target, { timeoutMs: 10_000 });
    try {
      const sums = await storedSha256(s, [
        { path: p('small'), bytes: small.length },
        { path: p('large'), bytes: large.length },
        // Expected to be as long as `small`: one byte more is read, so it cannot match.
        { path: p('longer'), bytes: small.length },
        { path: p('missing'), bytes: 10 },
      ]);
      expect(sums.get(p('small'))).toBe(sha(small));
      expect(sums.get(p('large'))).toBe(sha(large));
      expect(sums.get(p('longer'))).toBeDefined();
      expect(sums.get(p('longer'))).not.toBe(sha(small));
      expect(sums.has(p('missing'))).toBe(false);
      // The same file altered on the server: the next check sees it.
      writeFileSync(join(remote, 'small'), Buffer.concat([small.subarray(0, 100), Buffer.from([small[100]! ^ 1]), small.subarray(101)]));
      expect((await storedSha256(s, [{ path: p('small'), bytes: small.length }])).get(p('small'))).not.toBe(sha(small));

      const sizes = await remoteSizes(s, [p('small'), p('large'), p('folder'), p('missing')]);
      expect([...sizes.entries()]).toEqual([[p('small'), small.length], [p('large'), large.length]]);

      const space = await remoteFreeSpace(s, remote);
      const fs = statfsSync(remote);
      const usedK = ((fs.blocks - fs.bfree) * fs.bsize) / 1024;
      const availK = (fs.bavail * fs.bsize) / 1024;
      // Other writers on this disk move the figures a little between the two reads.
      expect(Math.abs(space.totalBytes / ((usedK + availK) * 1024) - 1)).toBeLessThan(0.001);
      expect(Math.abs(space.freePercent - (availK / (usedK + availK)) * 100)).toBeLessThan(1);
    } finally {
      s.close();
    }
  });

  it('reuses a read buffer only once the server has answered its WRITE: the stored bytes are the file\'s, however the WRITEs are cut', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crvs-upload-file-'));
    const data = randomBytes(5 * 1024 * 1024 + 777);
    const local = join(dir, 'data.bin');
    writeFileSync(local, data);
    const remote = join(server().dir, `upload-file-${Date.now()}-${randomBytes(3).toString('hex')}`);
    const s = await openSession(server(), { timeoutMs: 10_000 });
    try {
      await mkdirs(s, [remote]);
      // 1 MiB is more than OpenSSH takes in one WRITE: ssh2 sends the rest of a piece from our
      // buffer after the first part is answered. 4097 bytes with 16 in flight: many reuses.
      for (const [writeBytes, inFlight] of [[1024 * 1024, 2], [4097, 16]] as const) {
        const target = join(remote, `${writeBytes}.bin`);
        const sent = await uploadFile(s, local, target, undefined, { writeBytes, inFlight });
        expect(sent).toEqual({ bytes: data.length, sha256: sha(data) });
        expect(sha(readFileSync(target)), `${writeBytes} × ${inFlight}`).toBe(sha(data));
      }
      const err = await uploadFile(s, join(dir, 'gone.bin'), join(remote, 'gone.bin')).catch((e: unknown) => e);
      expect((err as OffsiteError).code).toBe('offsite_local_file');
      expect(existsSync(join(remote, 'gone.bin'))).toBe(false);
    } finally {
      s.close();
    }
  });
});
