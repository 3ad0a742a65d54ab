/**
 * What `/backup status` and `/backup list` read: concurrent status calls share a read but nobody
 * gets a state older than their request, and the listed manifests follow the files on disk
 * (new, replaced, removed, damaged) although each file is parsed only once per version.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manifestPath, writeManifest, type Manifest } from '../../src/backup/manifest.ts';
import { createManifestLister } from '../../src/backup/manifest-cache.ts';
import { coalesce } from '../../src/core/coalesce.ts';

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('coalesce', () => {
  it('serves calls made during a read from the next read, never from the one already under way', async () => {
    let state = 'before';
    let reads = 0;
    const status = coalesce(async () => {
      reads += 1;
      const seen = state;
      await tick(20);
      return `${seen} (read ${reads})`;
    });
    const first = status();
    await tick(5);
    state = 'after';
    const later = Array.from({ length: 10 }, () => status());
    expect(await first).toBe('before (read 1)');
    expect(new Set(await Promise.all(later))).toEqual(new Set(['after (read 2)']));
    expect(reads).toBe(2);
    // Once idle, a call reads again at once.
    state = 'again';
    expect(await status()).toBe('again (read 3)');
  });

  it('passes a failed read to the calls it served, and the next call reads anew', async () => {
    let fail = true;
    const status = coalesce(async () => {
      await tick(5);
      if (fail) throw new Error('redis down');
      return 'ok';
    });
    const [a, b] = await Promise.allSettled([status(), status()]);
    expect(a.status).toBe('rejected');
    expect(b.status).toBe('rejected');
    fail = false;
    expect(await status()).toBe('ok');
  });
});

function manifest(label: string, createdAt: Date, ok = true): Manifest {
  return {
    format: 1,
    label,
    createdAt: createdAt.toISOString(),
    finishedAt: createdAt.toISOString(),
    botVersion: 'test',
    requestedBy: 'test',
    stores: [{ store: 'mongo', ok, durationMs: 1 }],
    artifacts: [],
  };
}

describe('manifest lister', () => {
  const roots: string[] = [];
  afterAll(() => {
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });

  it('follows the files: a new set, a replaced manifest, a removed one and a damaged one', async () => {
    const root = mkdtempSync(join(tmpdir(), 'crvs-lister-'));
    roots.push(root);
    const lister = createManifestLister(root);
    expect(await lister.list()).toEqual([]);

    const day = 86_400_000;
    const shaOld = await writeManifest(root, manifest('2026-11-24', new Date(Date.now() - 2 * day)));
    await writeManifest(root, manifest('2026-11-25', new Date(Date.now() - day)));
    const first = await lister.list();
    expect(first.map((m) => m.manifest.label)).toEqual(['2026-11-25', '2026-11-24']);
    expect(first[1]?.sha256).toBe(shaOld);

    // Retention marks a store pruned: the manifest is rewritten; the listing shows the new version and its checksum.
    const pruned = { ...manifest('2026-11-24', new Date(Date.now() - 2 * day)), pruned: ['mongo' as const] };
    const shaPruned = await writeManifest(root, pruned);
    const second = await lister.list();
    expect(second.find((m) => m.manifest.label === '2026-11-24')?.manifest.pruned).toEqual(['mongo']);
    expect(second.find((m) => m.manifest.label === '2026-11-24')?.sha256).toBe(shaPruned);

    // Edited in place (same inode), to the same size, at once after a listing: still read again.
    const path = manifestPath(root, '2026-11-25');
    const edited = { ...manifest('2026-11-25', new Date(Date.now() - day)), requestedBy: 'tset' };
    writeFileSync(path, `${JSON.stringify(manifest('2026-11-25', new Date(Date.now() - day)), null, 2)}\n`);
    expect((await lister.list()).find((m) => m.manifest.label === '2026-11-25')?.manifest.requestedBy).toBe('test');
    writeFileSync(path, `${JSON.stringify(edited, null, 2)}\n`);
    expect((await lister.list()).find((m) => m.manifest.label === '2026-11-25')?.manifest.requestedBy).toBe('tset');

    await unlink(manifestPath(root, '2026-11-24'));
    writeFileSync(manifestPath(root, '2026-11-23'), '{ not json');
    expect((await lister.list()).map((m) => m.manifest.label)).toEqual(['2026-11-25']);
  });
});
