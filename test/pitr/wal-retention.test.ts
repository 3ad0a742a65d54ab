/** Retention of the WAL archive: back to the oldest retained base backup, never less. */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeManifest, type Manifest } from '../../src/backup/manifest.ts';
import { pruneWal } from '../../src/pitr/retention.ts';

const root = mkdtempSync(join(tmpdir(), 'pitr-retention-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function stream(name: string, segments: number[]): string {
  const dir = join(root, 'postgres-wal', name);
  mkdirSync(dir, { recursive: true });
  for (const n of segments) {
    const seg = `0000000100000000${n.toString(16).toUpperCase().padStart(8, '0')}`;
    writeFileSync(join(dir, seg), 'x');
    writeFileSync(join(dir, `${seg}.sha256`), 'x');
  }
  return dir;
}

function manifest(label: string, streamName: string, startSegment: string): Manifest {
  return {
    format: 1,
    label,
    createdAt: '2026-11-02T00:00:00.000Z',
    finishedAt: '2026-11-02T00:10:00.000Z',
    botVersion: 'test',
    requestedBy: 'test',
    stores: [{ store: 'postgres', ok: true, durationMs: 1 }],
    artifacts: [
      {
        store: 'postgres',
        path: `postgres/base-${label}.tar`,
        kind: 'file',
        bytes: 1,
        sha256: '0'.repeat(64),
        counts: {},
        durationMs: 1,
        meta: { format: 'pg_basebackup', stream: streamName, startSegment, startLsn: '0/5000028', timeline: 1, walSegmentBytes: 16777216, consistentAt: '2026-11-02T00:05:00.000Z' },
      },
    ],
  };
}

describe('WAL retention', () => {
  it('keeps WAL from the oldest base backup on, removes what no base backup needs', async () => {
    const older = stream('s-20261101T000000Z', [1, 2]);
    const withBase = stream('s-20261102T000000Z', [3, 4, 5, 6]);
    const newer = stream('s-20261103T000000Z', [1]);
    writeFileSync(join(root, 'postgres-wal', 'current'), 's-20261103T000000Z\n');
    writeFileSync(join(withBase, '000000010000000000000007.partial'), 'x');
    // Nothing goes while there is no base backup at all.
    expect(await pruneWal(root)).toEqual([]);
    await writeManifest(root, manifest('2026-11-02', 's-20261102T000000Z', '000000010000000000000005'));
    const dry = await pruneWal(root, { dryRun: true });
    expect(readdirSync(withBase)).toHaveLength(9);
    const removed = await pruneWal(root);
    expect(removed).toEqual(dry);
    expect(removed).toEqual(['s-20261101T000000Z', 's-20261102T000000Z/000000010000000000000003', 's-20261102T000000Z/000000010000000000000004']);
    expect(() => readdirSync(older)).toThrow();
    expect(readdirSync(withBase).sort()).toEqual(['000000010000000000000005', '000000010000000000000005.sha256', '000000010000000000000006', '000000010000000000000006.sha256', '000000010000000000000007.partial']);
    expect(readdirSync(newer)).toHaveLength(2);
  });
});
