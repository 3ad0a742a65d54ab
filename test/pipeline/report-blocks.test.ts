/** The daily report's Block Kit builders (pure): what a reader of the channel sees. */
import { describe, expect, it } from 'vitest';
import { buildDailyReport, buildReportThread, storeLineText } from '../../src/report/blocks.ts';
import { buildDeadmanAlert } from '../../src/deadman/blocks.ts';
import type { PipelineResult, StoreLine } from '../../src/pipeline/types.ts';
import { storeLines } from '../../src/pipeline/store-lines.ts';
import type { Manifest } from '../../src/backup/manifest.ts';

const OPTS = { oncallGroup: 'S0ONCALL', timeZone: 'Africa/Kampala' };

function result(over: Partial<PipelineResult> = {}): PipelineResult {
  return {
    runId: 'run-1',
    trigger: 'schedule',
    requestedBy: 'schedule',
    label: '2026-11-26',
    manifestSha256: 'a'.repeat(64),
    startedAt: '2026-11-25T21:00:00.000Z',
    finishedAt: '2026-11-25T21:05:00.000Z',
    outcome: 'ok',
    stores: [
      { store: 'mongo', ok: true, bytes: 12_300_000, records: 1234, durationMs: 4000, changePercent: 2.4, previousLabel: '2026-11-25', shrank: false },
      { store: 'influxdb', ok: true, bytes: 45_000, records: 80, durationMs: 1500, shrank: false },
    ],
    verify: { status: 'ok', problems: [] },
    offsite: { status: 'ok', detail: '5 files checked', bytes: 12_345_000, remoteChecksumsOk: true },
    retention: { local: { removed: [], errors: [] }, remote: { status: 'ok', removed: [] } },
    disk: { local: { freeBytes: 50e9, totalBytes: 100e9, freePercent: 50 }, remote: { freeBytes: 70e9, totalBytes: 100e9, freePercent: 70 }, warnPercent: 20 },
    problems: [],
    warnings: [],
    nextRun: '2026-11-26T21:00:00.000Z',
    ...over,
  };
}

function allText(m: { text: string; blocks: unknown[] }): string {
  return JSON.stringify(m.blocks);
}

describe('daily report', () => {
  it('success: a ✓ line per store with size, change, records and duration; offsite, disk, next run; no mention', () => {
    const m = buildDailyReport(result(), OPTS);
    const text = allText(m);
    expect(text).toContain('Backup complete');
    expect(text).toContain('✓ *mongo* 12 MB (+2 % vs 2026-11-25) · 1,234 records · 4.0 s');
    expect(text).toContain('✓ *influxdb* 45 kB · 80 records · 1.5 s');
    expect(text).toContain('remote checksums match');
    expect(text).toContain('local 50 % free');
    expect(text).toContain('backup server 70 % free');
    expect(text).toContain('2026-11-27 00:00 Africa/Kampala');
    expect(text).not.toContain('subteam');
    expect(m.text).not.toContain('subteam');
  });

  it('Elasticsearch: what the snapshot added and the repository size instead of a size of its own', () => {
    const es = (snapshot: StoreLine['snapshot']): StoreLine => ({ store: 'elasticsearch', ok: true, bytes: 0, records: 500, durationMs: 3000, shrank: false, snapshot });
    expect(storeLineText(es({ addedBytes: 3_200_000, addedFiles: 12, repositoryBytes: 45_000_000 }))).toBe('✓ *elasticsearch* added 3.2 MB in 12 files, repository 45 MB · 500 records · 3.0 s');
    expect(storeLineText(es({ addedBytes: 0, addedFiles: 0, repositoryBytes: 45_000_000 }))).toBe('✓ *elasticsearch* added nothing new, repository 45 MB · 500 records · 3.0 s');
    // The repository folder is not readable from here (ES on another host): only what was added.
    expect(storeLineText(es({ addedBytes: 1500, addedFiles: 1 }))).toBe('✓ *elasticsearch* added 1.5 kB in 1 file · 500 records · 3.0 s');
  });

  it('one store failing: shown as a failure with the reason and the on-call mention', () => {
    const stores: StoreLine[] = [
      { store: 'mongo', ok: true, bytes: 1000, records: 10, durationMs: 100, shrank: false },
      { store: 'influxdb', ok: false, error: 'influxdb: cannot reach http://127.0.0.1:9 <refused>', bytes: 0, records: 0, durationMs: 20, shrank: false },
    ];
    const m = buildDailyReport(result({ outcome: 'partial', stores, problems: ['influxdb: cannot reach http://127.0.0.1:9 <refused>'] }), OPTS);
    const text = allText(m);
    expect(text).toContain('PARTIAL');
    expect(text).toContain('✓ *mongo*');
    expect(text).toContain('✗ *influxdb* failed');
    expect(text).toContain('&lt;refused&gt;');
    expect(m.text).toContain('<!subteam^S0ONCALL>');
    expect(text).toContain('Why it failed');
  });

  it('everything failing: every store ✗, FAILED, offsite not copied, on-call mentioned', () => {
    const stores: StoreLine[] = ['mongo', 'influxdb'].map((s) => ({ store: s as 'mongo', ok: false, error: `${s}: down`, bytes: 0, records: 0, durationMs: 5, shrank: false }));
    const m = buildDailyReport(
      result({ outcome: 'failed', stores, offsite: { status: 'skipped', detail: 'no store was backed up' }, problems: ['mongo: down', 'influxdb: down'] }),
      OPTS,
    );
    const text = allText(m);
    expect(text).toContain('Backup FAILED');
    expect(text.match(/✗ \*/g)?.length).toBe(2);
    expect(text).toContain('not copied: no store was backed up');
    expect(m.text).toContain('<!subteam^S0ONCALL>');
  });

  it('a skipped run (lock held by a restore) says why', () => {
    const m = buildDailyReport(result({ outcome: 'skipped', stores: [], problems: ['Backup skipped: restore 2026-11-20 has held the operations lock since …'] }), OPTS);
    expect(allText(m)).toContain('SKIPPED');
    expect(allText(m)).toContain('restore 2026-11-20 has held the operations lock');
  });

  it('low disk is flagged and mentions on-call even when the backup succeeded', () => {
    const disk = { local: { freeBytes: 5e9, totalBytes: 100e9, freePercent: 5 }, remote: undefined, warnPercent: 20 };
    const m = buildDailyReport(result({ disk, problems: ['Backup disk is low: 5 % free'] }), OPTS);
    expect(allText(m)).toContain('local 5 % free (5.0 GB of 100 GB) :warning: *low*');
    expect(allText(m)).toContain('backup server unknown');
    expect(m.text).toContain('<!subteam^S0ONCALL>');
  });

  it('the thread has every problem and the step details', () => {
    const thread = buildReportThread(result({ outcome: 'failed', problems: Array.from({ length: 7 }, (_, i) => `problem ${i}`) }));
    expect(thread[0]).toContain('problem 6');
    expect(thread.at(-1)).toContain('Manifest* sha256');
  });
});

describe('store lines', () => {
  const base = (label: string, createdAt: string, bytes: number, records: number): Manifest => ({
    format: 1,
    label,
    createdAt,
    finishedAt: createdAt,
    botVersion: 't',
    requestedBy: 't',
    stores: [{ store: 'mongo', ok: true, durationMs: 10 }],
    artifacts: [{ store: 'mongo', path: `mongo/x-${label}.gz`, kind: 'file', bytes, sha256: 'b'.repeat(64), counts: { 'x.a': records }, durationMs: 10 }],
  });

  it('flags a store that shrank by more than 20 % against the previous set', () => {
    const lines = storeLines(base('d2', '2026-11-26T00:00:00Z', 700, 70), [base('d1', '2026-11-25T00:00:00Z', 1000, 100)]);
    expect(lines[0]?.shrank).toBe(true);
    expect(Math.round(lines[0]?.changePercent ?? 0)).toBe(-30);
    expect(storeLineText(lines[0] as StoreLine)).toContain('−30 % vs d1) :warning: *shrank*');
  });

  it('does not flag a small change', () => {
    const lines = storeLines(base('d2', '2026-11-26T00:00:00Z', 900, 90), [base('d1', '2026-11-25T00:00:00Z', 1000, 100)]);
    expect(lines[0]?.shrank).toBe(false);
  });
});

describe('dead-man alert', () => {
  it('names the last complete set and mentions on-call', () => {
    const m = buildDeadmanAlert({ lastComplete: { label: '2026-11-24', finishedAt: '2026-11-24T00:00:00Z' }, now: '2026-11-25T06:00:00Z', maxAgeMs: 26 * 3600_000, oncallGroup: 'S0ONCALL', timeZone: 'UTC' });
    expect(m.text).toContain('<!subteam^S0ONCALL>');
    expect(m.text).toContain('No complete backup in the last 26 h');
    expect(m.text).toContain('`2026-11-24`');
    expect(m.text).toContain('30 h ago');
  });
});
