/** The harness's real OpenSSH server: key login with a pinned host key, SFTP, the session PATH. */
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sshdPaths } from '../scripts/services/sshd.ts';
import { openSession } from '../src/offsite/session.ts';
import { testConfig } from './helpers/env.ts';

function target() {
  const config = testConfig();
  if (!config.backupServer || !config.manager) throw new Error('sshd service variables are missing from .services/env');
  return { config, server: config.backupServer, manager: config.manager };
}

describe('sshd service', () => {
  it('logs in with the client key, verifies the pinned host key, and stores a file over SFTP', async () => {
    const { server } = target();
    expect(server.hostKey).toMatch(/^SHA256:/);
    const s = await openSession(server, { timeoutMs: 10_000 });
    try {
      const data = randomBytes(100_000);
      const remote = join(server.dir, `sshd-test-${Date.now()}.bin`);
      await new Promise<void>((resolve, reject) => s.sftp.writeFile(remote, data, (err) => (err ? reject(err) : resolve())));
      const back = await new Promise<Buffer>((resolve, reject) => s.sftp.readFile(remote, (err, b) => (err ? reject(err) : resolve(b))));
      expect(back.equals(data)).toBe(true);
      // The server sees the same bytes on its own disk.
      expect(readFileSync(remote).equals(data)).toBe(true);
      expect((await s.exec(`sha256sum ${remote}`)).stdout.split(' ')[0]).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      s.close();
    }
  });

  it('puts its bin/ folder first on the PATH of a remote command (for a fake docker)', async () => {
    const { manager } = target();
    const bin = sshdPaths(dirname(manager.keyFile)).binDir;
    const fake = join(bin, 'crvs-fake-tool');
    writeFileSync(fake, '#!/bin/sh\necho fake-tool "$@"\n');
    chmodSync(fake, 0o755);
    const s = await openSession(manager, { timeoutMs: 10_000, label: 'manager', variable: 'MANAGER_HOST_KEY' });
    try {
      const r = await s.exec('command -v crvs-fake-tool && crvs-fake-tool hello');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(fake);
      expect(r.stdout).toContain('fake-tool hello');
    } finally {
      s.close();
      rmSync(fake, { force: true });
    }
  });
});
