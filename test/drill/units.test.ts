/** The drill's pure parts: fingerprints, scratch names, sparklines, trend lines, the staging rule. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createContentHash, decodeFingerprints, encodeFingerprints, firstDifference } from '../../src/drill/fingerprint.ts';
import { isLeftover, scratchName, ScratchNameError } from '../../src/drill/scratch-names.ts';
import { sparkline, weekChange } from '../../src/drill/sparkline.ts';
import { trendLines } from '../../src/drill/trends.ts';
import { formatMinutes } from '../../src/drill/run-drill.ts';

function hashOf(records: string[]): string {
  const h = createContentHash();
  for (const r of records) h.add(r);
  return h.digest();
}

describe('content fingerprints', () => {
  it('do not depend on order, and change with any record', () => {
    expect(hashOf(['a', 'b', 'c'])).toBe(hashOf(['c', 'a', 'b']));
    expect(hashOf(['a', 'b', 'c'])).not.toBe(hashOf(['a', 'b', 'd']));
    expect(hashOf(['a', 'a'])).not.toBe(hashOf([]).replace(/^0/, '2'));
    expect(hashOf(['a', 'b'])).toMatch(/^2:[0-9a-f]{32}$/);
  });
  it('round-trip through the manifest and name the first difference', () => {
    const fp = { 'db.B': hashOf(['x']), 'db.A': hashOf(['y', 'z']) };
    expect(decodeFingerprints(encodeFingerprints(fp))).toEqual(fp);
    expect(firstDifference(fp, { ...fp })).toBeUndefined();
    expect(firstDifference(fp, { ...fp, 'db.A': hashOf(['y', 'q']) })).toBe('db.A: same number of records (2) but different content');
    expect(firstDifference(fp, { ...fp, 'db.A': hashOf(['y']) })).toBe('db.A: 1 records restored, 2 in the set');
    expect(firstDifference(fp, { 'db.B': fp['db.B'] as string })).toBe('db.A: in the set, missing after the restore');
    expect(firstDifference(fp, { ...fp, 'db.C': hashOf(['w']) })).toBe('db.C: restored, but not in the set');
  });
});

describe('scratch names', () => {
  it('are the live name with a prefix, refused when that is itself a live name', () => {
    expect(scratchName('mongo', 'hearth-dev', ['hearth-dev', 'openhim-dev'])).toBe('drill_hearth-dev');
    expect(scratchName('elasticsearch', 'ocrvs', ['ocrvs'])).toBe('drill-ocrvs');
    expect(() => scratchName('mongo', 'x', ['x', 'drill_x'])).toThrow(ScratchNameError);
    expect(() => scratchName('mongo', 'drill_x', ['drill_x', 'drill_drill_x'])).toThrow(/drill_drill_x/);
    expect(scratchName('mongo', 'drill_x', ['drill_x'])).toBe('drill_drill_x');
  });
  it('never count a configured live name as a leftover', () => {
    expect(isLeftover('mongo', 'drill_x', ['x'])).toBe(true);
    expect(isLeftover('mongo', 'drill_x', ['drill_x'])).toBe(false);
    expect(isLeftover('mongo', 'hearth', ['x'])).toBe(false);
  });
});

describe('sparklines', () => {
  it('scale between the lowest and highest night and show gaps', () => {
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([5, undefined, 5])).toBe('▄ ▄');
    expect(sparkline([undefined, undefined])).toBe('  ');
    expect(sparkline([0, 10])).toBe('▁█');
  });
  it('give the change against the same night a week before', () => {
    const nights = [100, 0, 0, 0, 0, 0, 0, 110];
    expect(weekChange(nights)).toBe('+10 % vs last week');
    expect(weekChange([200, 0, 0, 0, 0, 0, 0, 100])).toBe('−50 % vs last week');
    expect(weekChange([undefined, 0, 0, 0, 0, 0, 0, 100])).toBeUndefined();
    expect(weekChange([1, 2])).toBeUndefined();
  });
  it('make one report line per measure that has figures', () => {
    const nights = Array.from({ length: 14 }, (_, i) => ({ day: `2026-11-${String(i + 10)}`, setBytes: (100 + i) * 1_000_000, backupSeconds: 60 + i * 6, ...(i === 13 ? { drillSeconds: 660 } : {}) }));
    const lines = trendLines(nights);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('Set size     ▁▂▂▃▃▄▄▅▅▆▆▇▇█  113 MB (+7 % vs last week)');
    expect(lines[1]).toContain('Backup time');
    expect(lines[2]).toMatch(/^Drill time {3} {13}▄ {2}11 min$/);
    expect(trendLines([{ day: '2026-11-01' }])).toEqual([]);
    expect(formatMinutes(660_000)).toBe('11 min');
    expect(formatMinutes(4_200)).toBe('4 s');
  });
});

describe('staging auto-restore start-up rule', () => {
  const base = { BACKUP_ROOT: '/tmp/x', DRILL_SOURCE: 'offsite', STAGING_AUTO_RESTORE: 'true' };
  it('accepts a staging-named deployment restoring an offsite set', () => {
    expect(loadConfig({ ...base, DEPLOYMENT_NAME: 'farajaland-staging', SLACK_CHANNEL: 'C0STAGING' }).env.STAGING_AUTO_RESTORE).toBe(true);
    expect(loadConfig({ ...base, DEPLOYMENT_NAME: 'qa' }).env.STAGING_AUTO_RESTORE).toBe(true);
  });
  it('refuses production-looking configurations, naming the variable', () => {
    expect(() => loadConfig({ ...base })).toThrow(/STAGING_AUTO_RESTORE is true but DEPLOYMENT_NAME is not set/);
    expect(() => loadConfig({ ...base, DEPLOYMENT_NAME: 'farajaland-prod' })).toThrow(/looks like production/);
    expect(() => loadConfig({ ...base, DEPLOYMENT_NAME: 'staging-live' })).toThrow(/looks like production/);
    expect(() => loadConfig({ ...base, DEPLOYMENT_NAME: 'farajaland' })).toThrow(/does not say staging/);
    expect(() => loadConfig({ ...base, DEPLOYMENT_NAME: 'testament' })).toThrow(/does not say staging/);
    expect(() => loadConfig({ ...base, DEPLOYMENT_NAME: 'qa', SLACK_CHANNEL: 'ops-prod-alerts' })).toThrow(/SLACK_CHANNEL .* production channel/);
    expect(() => loadConfig({ ...base, DEPLOYMENT_NAME: 'qa', DRILL_SOURCE: 'local' })).toThrow(/DRILL_SOURCE is not offsite/);
    expect(loadConfig({ BACKUP_ROOT: '/tmp/x', DEPLOYMENT_NAME: 'farajaland-prod' }).env.STAGING_AUTO_RESTORE).toBe(false);
  });
});

describe('when the nightly drill runs, and its Slack line', async () => {
  const { drillDue } = await import('../../src/drill/after-backup.ts');
  const { drillMessage } = await import('../../src/drill/message.ts');
  const base = { runId: 'r', label: '2026-12-06', startedAt: '', finishedAt: '', leftoversRemoved: [], durationMs: 660_000 };

  it('runs after a successful scheduled backup: every night, or on Sunday nights in the deployment\'s zone', () => {
    const sundayKampala = new Date('2026-12-06T00:30:00+03:00');
    const saturdayKampala = new Date('2026-12-05T23:30:00+03:00');
    expect(drillDue('nightly', 'schedule', 'ok', saturdayKampala, 'Africa/Kampala')).toBe(true);
    expect(drillDue('weekly', 'schedule', 'ok', sundayKampala, 'Africa/Kampala')).toBe(true);
    expect(drillDue('weekly', 'schedule', 'ok', saturdayKampala, 'Africa/Kampala')).toBe(false);
    expect(drillDue('nightly', 'manual', 'ok', saturdayKampala, 'UTC')).toBe(false);
    expect(drillDue('nightly', 'schedule', 'partial', saturdayKampala, 'UTC')).toBe(false);
    expect(drillDue('off', 'schedule', 'ok', saturdayKampala, 'UTC')).toBe(false);
  });

  it('says the time per store when it passes, and pages on-call naming the store when it fails or cannot run', () => {
    const ok = drillMessage({ ...base, outcome: 'ok', stores: [{ store: 'mongo', ok: true, durationMs: 360_000, records: 1, bytes: 1, compared: 'manifest' }, { store: 'elasticsearch', ok: true, durationMs: 120_000, records: 1, bytes: 0, compared: 'counts' }] }, ['Drill time   ▄  11 min'], 'S0ONCALL');
    expect(ok).toBe(':white_check_mark: Restore drill of 2026-12-06 ✓ 11 min (mongo 6 min, elasticsearch 2 min)\nLast 14 nights:\n```\nDrill time   ▄  11 min\n```');
    const failed = drillMessage({ ...base, outcome: 'failed', stores: [{ store: 'minio', ok: false, durationMs: 1000, records: 0, bytes: 0, compared: 'archive', difference: 'object "a" does not match its checksum' }] }, [], 'S0ONCALL');
    expect(failed).toBe(':rotating_light: <!subteam^S0ONCALL> Restore drill of 2026-12-06 ✗ FAILED — minio: object "a" does not match its checksum');
    const refused = drillMessage({ ...base, outcome: 'skipped', stores: [], reason: 'Restore drill not started: not enough free space for the mongo scratch copy on the MongoDB server: needs about 9 GB, 2 GB free.' }, [], undefined);
    expect(refused).toBe(':rotating_light: Restore drill of 2026-12-06 not run: not enough free space for the mongo scratch copy on the MongoDB server: needs about 9 GB, 2 GB free.');
  });
});
