/** The folders store: /data/vsexport-like folders and MOSIP's sqlite file, on real files and the real sqlite3 shell. */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile, truncate, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import tar from 'tar-stream';
import { createGzip } from 'node:zlib';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { restoreSet } from '../../src/backup/restore-set.ts';
import { runBackup } from '../../src/backup/run-backup.ts';
import { verifySet } from '../../src/backup/verify-set.ts';
import { createLogger } from '../../src/log.ts';
import { createRuntime, type Runtime } from '../../src/runtime.ts';
import { seedFolders } from '../../scripts/seed/folders.ts';
import { foldersFingerprint } from '../contract/folders-fingerprint.ts';
import { testConfig } from '../helpers/env.ts';

const runtimes: Runtime[] = [];
afterAll(async () => {
  await Promise.all(runtimes.map((r) => r.close()));
});

async function setup(extra: Record<string, string> = {}): Promise<{ rt: Runtime; dir: string; root: string }> {
  const base = testConfig();
  const dir = await mkdtemp(join(base.backupRoot, 'crvs-vsexport-'));
  const config = testConfig({ BACKUP_ROOT: base.backupRoot, BACKUP_STORES: 'folders', BACKUP_FOLDERS: dir, ...extra });
  const rt = createRuntime(config, createLogger('silent'));
  runtimes.push(rt);
  return { rt, dir, root: base.backupRoot };
}

function sqlite(file: string, sql: string): string {
  return execFileSync('sqlite3', [file, sql], { encoding: 'utf8' }).trim();
}

describe('folders store', () => {
  it('puts the folder back exactly: changed files restored, files added since removed', async () => {
    const { rt, dir } = await setup();
    await seedFolders(rt.config, { scale: 1, seed: 3 });
    const before = await foldersFingerprint(rt.config);
    const out = await runBackup(rt.deps, { requestedBy: 'test' });
    expect(out.ok).toBe(true);
    expect(out.manifest.artifacts[0]?.counts).toMatchObject({ [`${dir.slice(1).replace(/\//g, '-')}.files`]: 12 });
    await writeFile(join(dir, '2026-01', 'batch-0', 'births.csv'), 'changed\n');
    await writeFile(join(dir, 'added-later.csv'), 'new\n');
    expect(await foldersFingerprint(rt.config)).not.toBe(before);
    await restoreSet(rt.deps, out.manifest.label);
    expect(await foldersFingerprint(rt.config)).toBe(before);
  });

  it('copies MOSIP sqlite with the online backup while it is open, and restores it', async () => {
    const base = testConfig();
    const mosip = join(await mkdtemp(join(base.backupRoot, 'crvs-mosip-')), 'mosip.db');
    sqlite(mosip, 'PRAGMA journal_mode=WAL; CREATE TABLE packets(id INTEGER PRIMARY KEY, body TEXT); CREATE TABLE audit(x); INSERT INTO packets(body) VALUES (\'a\'),(\'b\'),(\'c\');');
    const { rt } = await setup({ MOSIP_SQLITE_FILE: mosip });
    const out = await runBackup(rt.deps, { requestedBy: 'test' });
    expect(out.ok).toBe(true);
    const copy = out.manifest.artifacts.find((a) => a.meta?.['format'] === 'sqlite');
    expect(copy?.counts).toEqual({ 'mosip.tables': 2 });
    sqlite(mosip, 'DELETE FROM packets; DROP TABLE audit;');
    await restoreSet(rt.deps, out.manifest.label);
    expect(sqlite(mosip, 'SELECT group_concat(body) FROM packets')).toBe('a,b,c');
    expect(sqlite(mosip, "SELECT count(*) FROM sqlite_master WHERE type='table'")).toBe('2');
  });

  it('a configured folder that does not exist fails the store, named', async () => {
    const { rt } = await setup({ BACKUP_FOLDERS: '/nonexistent/vsexport' });
    const out = await runBackup(rt.deps, { requestedBy: 'test' });
    expect(out.ok).toBe(false);
    expect(out.manifest.stores[0]?.error).toMatch(/the folder \/nonexistent\/vsexport \(BACKUP_FOLDERS\) does not exist/);
  });

  it('refuses a damaged archive before touching the folder', async () => {
    const { rt, dir } = await setup();
    await seedFolders(rt.config, { scale: 1, seed: 4 });
    const out = await runBackup(rt.deps, { requestedBy: 'test' });
    const file = join(rt.config.backupRoot, out.manifest.artifacts[0]?.path ?? '');
    await truncate(file, Math.floor((await stat(file)).size / 2));
    expect((await verifySet(rt.deps, out.manifest.label)).problems.length).toBeGreaterThan(0);
    await writeFile(join(dir, 'live.csv'), 'live\n');
    const live = await foldersFingerprint(rt.config);
    await expect(restoreSet(rt.deps, out.manifest.label)).rejects.toThrow();
    expect(await foldersFingerprint(rt.config)).toBe(live);
  });

  it('an archive entry that points outside the folder is refused, nothing written outside', async () => {
    const { rt, dir, root } = await setup();
    await seedFolders(rt.config, { scale: 1, seed: 5 });
    const out = await runBackup(rt.deps, { requestedBy: 'test' });
    const a = out.manifest.artifacts[0];
    if (!a) throw new Error('no artifact');
    // Replace the archive by one holding ../escape.txt; the manifest's checksum is rewritten too,
    // so only the adapter's own entry check can stop it.
    const evil = join(rt.config.backupRoot, a.path);
    const pack = tar.pack();
    pack.entry({ name: '../escape.txt' }, 'x');
    pack.finalize();
    await pipeline(pack, createGzip(), createWriteStream(evil));
    const ctx = { label: out.manifest.label, root: rt.config.backupRoot, signal: new AbortController().signal, progress: () => undefined };
    const adapter = rt.deps.adapters.get('folders');
    await expect(adapter?.restore([a], ctx)).rejects.toThrow(/not a file inside the folder/);
    await expect(readFile(join(dir, '..', 'escape.txt'))).rejects.toThrow();
    await mkdir(root, { recursive: true });
  });
});
