/**
 * Issue 11, defect 10: a legacy MinIO restore (a tarball of the data folder) extracts into a staging
 * folder beside the bucket, checks it, then swaps by rename. Here the data folder is a small tmpfs
 * that fills up while extracting: the live bucket folder must come out exactly as it was.
 * Real tar, the real local exec layer, a real (tiny) filesystem.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.ts';
import { createExecutor } from '../../src/exec/index.ts';
import type { MinioExec } from '../../src/stores/minio/index.ts';
import { restoreLegacy } from '../../src/stores/minio/legacy.ts';
import { testConfig } from '../helpers/env.ts';

const execFileP = promisify(execFile);
const mounts: string[] = [];
const roots: string[] = [];
afterAll(async () => {
  for (const m of mounts) await execFileP('umount', [m]).catch(() => execFileP('umount', ['-l', m]).catch(() => undefined));
  await Promise.all(roots.map((r) => rm(r, { recursive: true, force: true })));
});

const local = createExecutor({ kind: 'local' });
const exec: MinioExec = async (argv, opts) => {
  const r = await local.run(argv, opts);
  return { stdout: r.stdout, stderr: r.stderr };
};

describe('minio: a legacy restore that runs out of disk while extracting', () => {
  it('leaves the live bucket folder untouched, no staging folder behind, MinIO not restarted', async () => {
    const base = await mkdtemp(join(tmpdir(), 'crvs-legacy-full-'));
    roots.push(base);
    const dataDir = join(base, 'data');
    await mkdir(dataDir);
    // MinIO's data folder on a 512 KiB filesystem; the tarball's bucket needs 1 MiB.
    await execFileP('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', dataDir]);
    mounts.push(dataDir);
    await mkdir(join(dataDir, 'ocrvs', 'birth-1'), { recursive: true });
    await writeFile(join(dataDir, 'ocrvs', 'birth-1', 'xl.meta'), 'the live record');
    await writeFile(join(dataDir, 'ocrvs', 'birth-1', 'part.1'), randomBytes(64 * 1024));
    const source = join(base, 'source');
    for (const obj of ['birth-1', 'birth-2', 'birth-3', 'birth-4']) {
      await mkdir(join(source, 'ocrvs', obj), { recursive: true });
      await writeFile(join(source, 'ocrvs', obj, 'xl.meta'), `from the backup: ${obj}`);
      await writeFile(join(source, 'ocrvs', obj, 'part.1'), randomBytes(256 * 1024));
    }
    const tarball = join(base, 'ocrvs-full.tar.gz');
    await execFileP('tar', ['-czf', tarball, '-C', source, '.']);
    const before = await readFile(join(dataDir, 'ocrvs', 'birth-1', 'part.1'));
    const cfg = { ...testConfig().minio, dataDir, restartCommand: `touch ${join(base, 'restarted')}` };

    const err = await restoreLegacy(tarball, 'ocrvs', cfg, exec, { timeoutMs: 60_000, signal: AbortSignal.timeout(60_000) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toContain(`could not restore ${dataDir}/ocrvs from ${tarball}`);
    expect((err as Error).message).toContain('the bucket folder was left as it was');
    expect(readdirSync(dataDir)).toEqual(['ocrvs']);
    expect(readdirSync(join(dataDir, 'ocrvs'))).toEqual(['birth-1']);
    expect(await readFile(join(dataDir, 'ocrvs', 'birth-1', 'xl.meta'), 'utf8')).toBe('the live record');
    expect((await readFile(join(dataDir, 'ocrvs', 'birth-1', 'part.1'))).equals(before)).toBe(true);
    expect(existsSync(join(base, 'restarted'))).toBe(false);
  });
});
