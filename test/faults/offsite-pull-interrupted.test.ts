/**
 * Issue 11, fault matrix: the backup server's sshd is killed in the middle of pulling an encrypted
 * set. The pull resumes from its staging folder (files already checked there are not fetched again),
 * ends with the plain set in place, and at no moment leaves an encrypted or half-written file beside
 * a live path. A private sshd started by the harness, so that killing it disturbs no other test.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { down, servicesEnv as harnessEnv, status, up } from '../../scripts/services/harness.ts';
import { copySetOffsite, pullSet, type OffsiteProgress } from '../../src/offsite/index.ts';
import { setFiles } from '../../src/offsite/set-manifest.ts';
import { testConfig } from '../helpers/env.ts';
import { fileSha, makeSet } from '../helpers/offsite-set.ts';

const servicesDir = mkdtempSync(join(tmpdir(), 'crvs-sshd-pull-'));
afterAll(async () => {
  await down({ servicesDir });
  rmSync(servicesDir, { recursive: true, force: true });
}, 120_000);

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

/** Files beside live paths that must never be there: encrypted, partial or being decrypted. */
function strayOutsideStaging(root: string): string[] {
  return filesUnder(root).filter((f) => !f.startsWith('.offsite/') && /\.(enc|part|decrypting)$/.test(f));
}

function sshdPids(): number[] {
  const pid = status({ servicesDir }).find((s) => s.name === 'sshd')?.pid ?? 0;
  if (pid <= 0) throw new Error('the private sshd is not running');
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      /* gone */
    }
  }
  const all: number[] = [];
  const walk = (p: number): void => {
    all.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return all;
}

describe('sshd killed while an encrypted set is pulled', () => {
  it('resumes from the staging folder and ends with the plain set in place; nothing stray beside live paths', async () => {
    await up({ servicesDir, only: ['sshd'], log: () => undefined });
    const env = harnessEnv({ servicesDir });
    const base = testConfig(env);
    const keyFile = join(base.backupRoot, 'offsite.key');
    writeFileSync(keyFile, `pull interrupted ${randomBytes(8).toString('hex')}\n`, { mode: 0o600 });
    const remote = join(env['BACKUP_SERVER_DIR'] ?? '', `pull-${randomBytes(3).toString('hex')}`);
    const config = testConfig({ ...env, BACKUP_ROOT: base.backupRoot, BACKUP_SERVER_DIR: remote, OFFSITE_ENCRYPTION_KEY_FILE: keyFile });
    const label = '2026-11-29';
    const manifest = await makeSet(config.backupRoot, label, { bigMiB: 16 });
    // The big dump goes last, so that the smaller files are staged when the server dies.
    manifest.artifacts.sort((a, b) => (a.path.includes('hearth') ? 1 : 0) - (b.path.includes('hearth') ? 1 : 0));
    await copySetOffsite({ config, manifest, localRoot: config.backupRoot });

    // A new machine pulls it.
    const newRoot = mkdtempSync(join(base.backupRoot, 'new-'));
    const downloads = new Map<string, number>();
    const stray: string[] = [];
    let restart: Promise<unknown> | undefined;
    const onProgress = (p: OffsiteProgress): void => {
      if (p.phase !== 'download' || !p.path) return;
      downloads.set(p.path, (downloads.get(p.path) ?? 0) + 1);
      stray.push(...strayOutsideStaging(newRoot));
      if (p.path.includes('hearth') && !restart) {
        for (const pid of sshdPids()) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
        restart = new Promise((r) => setTimeout(r, 300)).then(() => up({ servicesDir, only: ['sshd'], log: () => undefined }));
      }
    };
    const r = await pullSet({ config, label, localRoot: newRoot, onProgress, retry: { attempts: 80, baseDelayMs: 300, maxDelayMs: 2000 } }); // ~150 s for the sshd restart
    await restart;
    expect(restart).toBeDefined();
    expect(r.encrypted).toBe(true);
    const big = `mongo/hearth-dev-${label}.gz.enc`;
    expect(downloads.get(big)).toBe(2);
    // Files staged before the kill were not fetched again.
    for (const [path, n] of downloads) if (path !== big && !path.startsWith('elasticsearch/')) expect(n, path).toBe(1);
    expect(stray).toEqual([]);
    expect(strayOutsideStaging(newRoot)).toEqual([]);
    expect(existsSync(join(newRoot, '.offsite', `pull-${label}`))).toBe(false);
    for (const f of setFiles(manifest)) expect(fileSha(join(newRoot, f.rel)), f.rel).toBe(f.sha256);
    expect(fileSha(join(newRoot, 'elasticsearch', 'index-0'))).toBe(fileSha(join(config.backupRoot, 'elasticsearch', 'index-0')));
  }, 300_000);
});
