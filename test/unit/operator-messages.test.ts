/**
 * What an operator reads in the replies and the restore thread (pure builders): record totals that
 * count records (not MinIO bytes or InfluxDB series), times as Slack date tokens, where a set is,
 * the nearest sets said once, short steps not shown as "0 s", and what to do after a failure.
 */
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/backup/manifest.ts';
import type { SetSummary } from '../../src/core/ports.ts';
import { storeLines } from '../../src/pipeline/store-lines.ts';
import { failureMessage, formatDuration, summaryMessage } from '../../src/restore/summary.ts';
import { listMessage, restoreRefused, statusMessage } from '../../src/slack/blocks/backup.ts';
import { recordCount } from '../../src/stores/counts.ts';

const SET: SetSummary = { label: '2026-11-26', createdAt: '2026-11-26T06:25:02.951Z', complete: true, failedStores: [], bytes: 16_600_000, manifestSha256: 'a'.repeat(64), location: 'both' };

describe('record totals', () => {
  it('count MinIO objects and InfluxDB points, every key of the other stores', () => {
    expect(recordCount('minio', { 'ocrvs.objects': 40, 'ocrvs.bytes': 15_896_919 })).toBe(40);
    expect(recordCount('influxdb', { 'birth.points': 2400, 'birth.series': 234, 'death.points': 800, 'death.series': 155 })).toBe(3200);
    // A MongoDB collection may be called "series" or "bytes": it is still records.
    expect(recordCount('mongo', { 'hearth-dev.Patient': 300, 'metrics.series': 4 })).toBe(304);
    expect(recordCount('elasticsearch', undefined)).toBe(0);
  });

  it('the backup report counts a bucket\'s objects, not its bytes', () => {
    const m: Manifest = {
      format: 1,
      label: '2026-11-26',
      createdAt: '2026-11-26T06:25:02Z',
      finishedAt: '2026-11-26T06:25:06Z',
      botVersion: 't',
      requestedBy: 't',
      stores: [{ store: 'minio', ok: true, durationMs: 400 }],
      artifacts: [{ store: 'minio', path: 'minio/ocrvs-2026-11-26.tar.gz', kind: 'file', bytes: 15_921_239, sha256: 'b'.repeat(64), counts: { 'ocrvs.objects': 40, 'ocrvs.bytes': 15_896_919 }, durationMs: 400 }],
    };
    expect(storeLines(m, [])[0]?.records).toBe(40);
  });

  it('the restore summary shows a bucket as objects, with its size readable', () => {
    const s = summaryMessage({
      label: '2026-11-26',
      requestedBy: 'UALICE',
      approvedBy: ['UBOB', 'UCAROL'],
      safetyLabel: 'pre-restore-1',
      steps: [{ name: 'restore:minio', record: { state: 'done', durationMs: 400, attempts: 1, counts: { 'ocrvs.objects': 40, 'ocrvs.bytes': 15_896_919 } } }],
      totalMs: 20_000,
    });
    expect(s.text).toContain('Restore minio — 0.4 s (40 records)');
    expect(s.text).toContain('minio*: 40 records (ocrvs.objects: 40, ocrvs.bytes: 16 MB)');
    expect(s.text).not.toContain('15,896,959');
  });
});

describe('durations in the restore thread', () => {
  it('shows a short step with a decimal instead of "0 s"', () => {
    expect(formatDuration(30)).toBe('under 0.1 s');
    expect(formatDuration(400)).toBe('0.4 s');
    expect(formatDuration(3_200)).toBe('3.2 s');
    expect(formatDuration(12_000)).toBe('12 s');
    expect(formatDuration(65_000)).toBe('1 min 05 s');
  });
});

describe('failure report', () => {
  const base = {
    label: '2026-11-26',
    error: 'ssh: connect ECONNREFUSED',
    safetyLabel: 'pre-restore-1',
    refused: false,
    people: { requestedBy: 'U01REQ', approvedBy: ['U02APP', 'U03APP'], oncallGroup: 'S0ONCALL' },
  };
  it('says OpenCRVS may be down when the redeploy failed after the stores were restored', () => {
    const f = failureMessage({ ...base, step: 'docker-restart', stores: [{ store: 'mongo', state: 'restored' }] });
    expect(f.text).toContain('OpenCRVS may not be running');
    expect(f.text).toContain('FACTORY_RESET=no');
    expect(JSON.stringify(f.blocks)).toContain('OpenCRVS may not be running');
  });

  it('says OpenCRVS was not stopped when a store failed, and nothing more when nothing was touched', () => {
    const f = failureMessage({ ...base, step: 'restore:elasticsearch', stores: [{ store: 'mongo', state: 'restored' }, { store: 'elasticsearch', state: 'partially restored' }] });
    expect(f.text).toContain('OpenCRVS was not stopped');
    const r = failureMessage({ ...base, step: 'verify', refused: true, safetyLabel: undefined, stores: [{ store: 'mongo', state: 'not touched' }] });
    expect(r.text).not.toContain('OpenCRVS');
    expect(r.text).toContain('nothing was touched');
  });
});

describe('/backup and /restore replies', () => {
  it('name the nearest sets once', () => {
    const m = restoreRefused('2026-11-25', ['No backup set named "2026-11-25". Nearest available: 2026-11-26.'], ['2026-11-26']);
    expect(m.text.match(/2026-11-26/g)).toHaveLength(1);
    const other = restoreRefused('x', ['no backup set named x'], ['2026-11-26']);
    expect(other.text).toContain('Nearest sets: `2026-11-26`');
  });

  it('say where a set is in words, and times as date tokens each reader sees in their zone', () => {
    const list = listMessage([SET, { ...SET, label: 'old', location: 'remote' }, { ...SET, label: 'new', location: 'local' }]);
    expect(list.text).toContain('here and on the backup server');
    expect(list.text).toContain('on the backup server only');
    expect(list.text).toContain('here only');
    expect(list.text).toContain(`<!date^${Math.floor(Date.parse(SET.createdAt) / 1000)}^`);
    const status = statusMessage({ running: [], lastComplete: SET, nextRun: '2026-11-27T00:00:00.000Z', lock: { holder: 'backup x (UALICE)', since: '2026-11-26T06:25:02.953Z' } }, Date.parse('2026-11-26T07:00:00Z'));
    expect(status.text).not.toContain('2026-11-27T00:00:00.000Z');
    expect(status.text).toContain(`Next scheduled run: <!date^${Date.parse('2026-11-27T00:00:00Z') / 1000}^`);
    expect(status.text).not.toContain('T06:25:02.953Z');
  });
});
