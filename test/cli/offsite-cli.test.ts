/**
 * Offsite through the CLI, on the real sshd: an encrypted nightly copy, then recovery on "a new
 * server" — `pull` brings the set back; `decrypt` alone, with only the key, turns a hand-copied
 * set back into plain files that verify.
 */
import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SEEDERS } from '../../scripts/seed/index.ts';
import { runCli } from '../helpers/cli.ts';
import { servicesEnv, testConfig } from '../helpers/env.ts';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(join(e.parentPath, e.name).slice(dir.length + 1));
  return out.sort();
}

describe('offsite copy through the CLI', () => {
  it('copies an encrypted set, pulls it back, and decrypts a hand-copied set with only the key', async () => {
    const config = testConfig();
    const remoteDir = await mkdtemp(join(config.backupRoot, 'remote-'));
    const keyFile = join(config.backupRoot, 'offsite.key');
    await writeFile(keyFile, 'correct horse battery staple, but longer\n', { mode: 0o600 });
    const env = {
      ...servicesEnv(),
      BACKUP_ROOT: config.backupRoot,
      BACKUP_STORES: 'mongo,minio',
      BACKUP_SERVER_DIR: remoteDir,
      OFFSITE_ENCRYPTION_KEY_FILE: keyFile,
      LOG_LEVEL: 'silent',
    };
    await SEEDERS.mongo(config, { scale: 1, seed: 5 });
    await SEEDERS.minio(config, { scale: 1, seed: 5 });

    const b = await runCli(['backup', '--label', 'offsite-cli'], env);
    expect(b.stdout).toMatch(/offsite: ok/);
    expect(b.code).toBe(0);
    const remote = await filesUnder(join(remoteDir, 'offsite-cli'));
    expect(remote).toContain('manifests/offsite-cli.json');
    expect(remote.some((f) => f.startsWith('mongo/') && f.endsWith('.gz.enc'))).toBe(true);
    expect(remote.some((f) => f.startsWith('mongo/') && f.endsWith('.gz'))).toBe(false);

    // A new server: nothing local; pull fetches, checks and decrypts.
    const local = await filesUnder(config.backupRoot);
    await rm(join(config.backupRoot, 'mongo'), { recursive: true });
    await rm(join(config.backupRoot, 'minio'), { recursive: true });
    await rm(join(config.backupRoot, 'manifests'), { recursive: true });
    const p = await runCli(['pull', 'offsite-cli'], env);
    expect(p.stderr).toBe('');
    expect(p.code).toBe(0);
    expect(p.stdout).toMatch(/decrypted/);
    const v = await runCli(['verify', 'offsite-cli'], env);
    expect(v.code).toBe(0);
    for (const f of local.filter((x) => x.startsWith('mongo/') || x.startsWith('minio/'))) expect(await filesUnder(config.backupRoot)).toContain(f);

    // Only the key and the decrypt command: files copied by hand from the backup server.
    const handCopy = await mkdtemp(join(config.backupRoot, 'recovered-'));
    await cp(join(remoteDir, 'offsite-cli'), handCopy, { recursive: true });
    const d = await runCli(['decrypt', 'offsite-cli', '--root', handCopy], { PATH: process.env['PATH'] ?? '', OFFSITE_ENCRYPTION_KEY_FILE: keyFile, LOG_LEVEL: 'silent' });
    expect(d.stderr).toBe('');
    expect(d.code).toBe(0);
    const recovered = await filesUnder(handCopy);
    expect(recovered.filter((f) => f.endsWith('.enc'))).toEqual([]);
    const v2 = await runCli(['verify', 'offsite-cli'], { ...env, BACKUP_ROOT: handCopy });
    expect(v2.stdout).toContain('verified');
    expect(v2.code).toBe(0);

    const wrong = join(config.backupRoot, 'wrong.key');
    await writeFile(wrong, 'this is not the key that was used here', { mode: 0o600 });
    const again = await mkdtemp(join(config.backupRoot, 'recovered-'));
    await cp(join(remoteDir, 'offsite-cli'), again, { recursive: true });
    const bad = await runCli(['decrypt', 'offsite-cli', '--root', again], { PATH: process.env['PATH'] ?? '', OFFSITE_ENCRYPTION_KEY_FILE: wrong });
    expect(bad.code).toBe(1);
    expect(bad.stderr).not.toContain('this is not the key');
  });
});
