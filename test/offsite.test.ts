/** Offsite copy to the real sshd: verified copies, pinned host key, resume after a killed server, retention. */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { down, servicesEnv as harnessEnv, status, up } from '../scripts/services/harness.ts';
import { copySetOffsite, listRemoteSets, OffsiteError, pruneRemote, type OffsiteProgress } from '../src/offsite/index.ts';
import type { Config } from '../src/config.ts';
import { testConfig } from './helpers/env.ts';
import { fileSha, makeSet, writeEsFiles } from './helpers/offsite-set.ts';
import { setFiles } from '../src/offsite/set-manifest.ts';

/** A config whose remote folder is private to the test. */
function freshConfig(extra: Record<string, string> = {}): Config {
  const base = testConfig(extra);
  const dir = join(base.backupServer?.dir ?? '', `t-${Date.now()}-${randomBytes(3).toString('hex')}`);
  return testConfig({ ...extra, BACKUP_ROOT: base.backupRoot, BACKUP_SERVER_DIR: dir });
}

function remoteDir(config: Config): string {
  if (!config.backupServer) throw new Error('no backup server in the test config');
  return config.backupServer.dir;
}

const fastRetry = { attempts: 5, baseDelayMs: 300, maxDelayMs: 3000 };

describe('offsite copy', () => {
  it('copies a set with a 20 MiB dump, a folder and the ES repository; server checksums match; a second copy sends nothing', async () => {
    const config = freshConfig();
    const manifest = await makeSet(config.backupRoot, '2026-11-26', { bigMiB: 20 });
    const r = await copySetOffsite({ config, manifest, localRoot: config.backupRoot });
    const dir = remoteDir(config);
    for (const f of setFiles(manifest)) expect(fileSha(join(dir, '2026-11-26', f.rel)), f.rel).toBe(f.sha256);
    expect(fileSha(join(dir, '2026-11-26/manifests/2026-11-26.json'))).toBe(fileSha(join(config.backupRoot, 'manifests/2026-11-26.json')));
    expect(fileSha(join(dir, 'elasticsearch/index-0'))).toBe(fileSha(join(config.backupRoot, 'elasticsearch/index-0')));
    expect(readdirSync(join(dir, 'elasticsearch/indices')).length).toBe(1);
    expect(r.encrypted).toBe(false);
    expect(r.files).toBe(5 + 6 + 2);
    expect(r.bytesSent).toBeGreaterThan(20 * 1024 * 1024);
    expect(r.remoteFreePercent).toBeGreaterThan(0);
    expect(r.attempts).toBe(1);
    // No temporary names are left behind.
    expect(readdirSync(join(dir, '2026-11-26/mongo')).filter((n) => n.endsWith('.part'))).toEqual([]);

    const again = await copySetOffsite({ config, manifest, localRoot: config.backupRoot });
    expect(again.files).toBe(0);
    expect(again.bytesSent).toBe(0);
    expect(again.skipped).toBe(5 + 6 + 2);

    // The next day: the ES mirror only receives the new blobs and the changed index files.
    const next = await makeSet(config.backupRoot, '2026-11-27', { es: false });
    next.artifacts.push({ ...(manifest.artifacts.find((a) => a.kind === 'es-snapshot') as (typeof manifest.artifacts)[number]) });
    writeEsFiles(config.backupRoot, { 'indices/idx-new/0/__b2': randomBytes(5000), 'index-1': '{"snapshots":["a","b"]}', 'index.latest': Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]) });
    const r2 = await copySetOffsite({ config, manifest: next, localRoot: config.backupRoot });
    expect(r2.esSent).toBe(3);
    expect(r2.esSkipped).toBe(6 - 1);
    expect(fileSha(join(dir, 'elasticsearch/index.latest'))).toBe(fileSha(join(config.backupRoot, 'elasticsearch/index.latest')));
    expect((await listRemoteSets(config)).map((s) => [s.label, s.complete])).toEqual([['2026-11-27', true], ['2026-11-26', true]]);
  });

  it('refuses a server whose host key differs from the pinned one, before sending anything', async () => {
    const wrong = `SHA256:${randomBytes(32).toString('base64').replace(/=+$/, '')}`;
    const config = freshConfig({ BACKUP_SERVER_HOST_KEY: wrong });
    const manifest = await makeSet(config.backupRoot, '2026-11-26', { es: false });
    const err = await copySetOffsite({ config, manifest, localRoot: config.backupRoot, retry: fastRetry }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OffsiteError);
    expect((err as OffsiteError).code).toBe('offsite_host_key');
    expect((err as OffsiteError).message).toMatch(/not the pinned .*refusing to connect; nothing was sent/);
    expect(existsSync(remoteDir(config))).toBe(false);
  });

  it('does not copy a local file that no longer matches its manifest, and leaves the remote set incomplete', async () => {
    const config = freshConfig();
    const manifest = await makeSet(config.backupRoot, '2026-11-28', { es: false });
    writeFileSync(join(config.backupRoot, 'influxdb/2026-11-28/meta.00'), 'bit rot');
    const err = await copySetOffsite({ config, manifest, localRoot: config.backupRoot, retry: fastRetry }).catch((e: unknown) => e);
    expect((err as OffsiteError).code).toBe('offsite_local_mismatch');
    expect((err as OffsiteError).message).toContain('influxdb/2026-11-28/meta.00');
    expect(existsSync(join(remoteDir(config), '2026-11-28/influxdb/2026-11-28/meta.00'))).toBe(false);
    expect((await listRemoteSets(config)).map((x) => [x.label, x.complete])).toEqual([['2026-11-28', false]]);
  });

  it('resumes after the server is killed mid-upload: completed files are not sent again, checksums match', async () => {
    // A private sshd, so that killing it disturbs nobody else's tests.
    const servicesDir = mkdtempSync(join(tmpdir(), 'crvs-sshd-kill-'));
    await up({ servicesDir, only: ['sshd'], log: () => undefined });
    try {
      const env = harnessEnv({ servicesDir });
      const config = freshConfig({ ...env, BACKUP_SERVER_DIR: join(env['BACKUP_SERVER_DIR'] ?? '', 'resume') });
      const manifest = await makeSet(config.backupRoot, '2026-11-26', { bigMiB: 24 });
      // The big dump goes last, so that smaller files are complete when the server dies.
      manifest.artifacts.sort((a, b) => (a.path.includes('hearth') ? 1 : 0) - (b.path.includes('hearth') ? 1 : 0));
      const uploads = new Map<string, number>();
      let restart: Promise<unknown> | undefined;
      const onProgress = (p: OffsiteProgress): void => {
        if (p.phase === 'upload' && p.path) uploads.set(p.path, (uploads.get(p.path) ?? 0) + 1);
        if (p.phase === 'bytes' && p.path?.includes('hearth') && !restart) {
          killTree(status({ servicesDir }).find((s) => s.name === 'sshd')?.pid ?? 0);
          restart = new Promise((r) => setTimeout(r, 200)).then(() => up({ servicesDir, only: ['sshd'], log: () => undefined }));
        }
      };
      const r = await copySetOffsite({ config, manifest, localRoot: config.backupRoot, onProgress, retry: fastRetry });
      await restart;
      expect(restart).toBeDefined();
      expect(r.attempts).toBeGreaterThan(1);
      const big = 'mongo/hearth-dev-2026-11-26.gz';
      expect(uploads.get(big)).toBe(2);
      for (const [path, n] of uploads) if (path !== big) expect(n, path).toBe(1);
      for (const f of setFiles(manifest)) expect(fileSha(join(remoteDir(config), '2026-11-26', f.rel)), f.rel).toBe(f.sha256);
      expect((await listRemoteSets(config))[0]?.complete).toBe(true);
    } finally {
      await down({ servicesDir });
    }
  });

  it('keeps the N newest complete sets remotely and never deletes the only complete one', async () => {
    const config = freshConfig();
    const dir = remoteDir(config);
    // An interrupted old copy (no manifest) and a lone complete set.
    mkdirSync(join(dir, '2026-11-20/mongo'), { recursive: true });
    utimesSync(join(dir, '2026-11-20'), new Date('2026-11-20'), new Date('2026-11-20'));
    const first = await makeSet(config.backupRoot, '2026-11-21', { es: false });
    await copySetOffsite({ config, manifest: first, localRoot: config.backupRoot });
    const lone = await pruneRemote({ config, keep: 0 });
    expect(lone.kept).toContain('2026-11-21');
    expect(lone.deleted).toEqual(['2026-11-20']);

    for (const label of ['2026-11-22', '2026-11-23', '2026-11-24']) {
      const m = await makeSet(config.backupRoot, label, { es: false });
      await copySetOffsite({ config, manifest: m, localRoot: config.backupRoot });
    }
    // A newer copy still in progress (no manifest yet) must survive pruning.
    mkdirSync(join(dir, '2026-11-25/mongo'), { recursive: true });
    const r = await pruneRemote({ config, keep: 2 });
    expect(r.deleted.sort()).toEqual(['2026-11-21', '2026-11-22']);
    expect(readdirSync(dir).sort()).toEqual(['2026-11-23', '2026-11-24', '2026-11-25']);
  });

  it('keeps the last set that can restore every store, even when the newer copies are partial backups', async () => {
    const config = freshConfig();
    const dir = remoteDir(config);
    /** A set whose manifest records each store's outcome; a failed store has no files in it. */
    const copy = async (label: string, influxOk: boolean): Promise<void> => {
      const m = await makeSet(config.backupRoot, label, { es: false });
      if (!influxOk) m.artifacts = m.artifacts.filter((a) => a.store !== 'influxdb');
      const stores = [{ store: 'mongo', ok: true }, { store: 'influxdb', ok: influxOk, ...(influxOk ? {} : { error: 'influxd backup failed' }) }];
      writeFileSync(join(config.backupRoot, `manifests/${label}.json`), JSON.stringify({ version: 1, label, stores, artifacts: m.artifacts }, null, 2));
      await copySetOffsite({ config, manifest: m, localRoot: config.backupRoot });
    };
    await copy('2026-12-01', true);
    // Three nights in a row the InfluxDB backup failed: each set was still copied whole.
    for (const label of ['2026-12-02', '2026-12-03', '2026-12-04']) await copy(label, false);
    const r = await pruneRemote({ config, keep: 2 });
    expect(r.deleted).toEqual(['2026-12-02']);
    // 2026-12-01 holds the only InfluxDB backup on the server: it stays, files and manifest.
    expect(readdirSync(dir).sort()).toEqual(['2026-12-01', '2026-12-03', '2026-12-04']);
    expect(existsSync(join(dir, '2026-12-01/influxdb/2026-12-01/meta.00'))).toBe(true);
  });
});

/** SIGKILLs a process and all its descendants (sshd's per-connection children call setsid). */
function killTree(pid: number): void {
  if (pid <= 0) throw new Error('no sshd pid to kill');
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSyncSafe(`/proc/${name}/stat`);
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
  for (const p of all) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

function readFileSyncSafe(path: string): string {
  return readFileSync(path, 'utf8');
}
