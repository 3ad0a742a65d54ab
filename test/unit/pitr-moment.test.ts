/** Moments as operators type them for a restore to a moment: the deployment's zone, or an offset. */
import { describe, expect, it } from 'vitest';
import { looksLikeMoment, parseMoment, showMoment } from '../../src/pitr/moment.ts';

describe('a moment to restore to', () => {
  it('reads wall time in the deployment time zone, including across a DST change', () => {
    expect(parseMoment('2026-11-26T14:05', 'Africa/Kampala').toISOString()).toBe('2026-11-26T11:05:00.000Z');
    expect(parseMoment('2026-07-01T12:00', 'Europe/London').toISOString()).toBe('2026-07-01T11:00:00.000Z');
    expect(parseMoment('2026-01-01T12:00', 'Europe/London').toISOString()).toBe('2026-01-01T12:00:00.000Z');
  });
  it('takes an explicit offset as given', () => {
    expect(parseMoment('2026-11-26T14:05+01:00', 'Africa/Kampala').toISOString()).toBe('2026-11-26T13:05:00.000Z');
    expect(parseMoment('2026-11-26T14:05:30Z', 'Africa/Kampala').toISOString()).toBe('2026-11-26T14:05:30.000Z');
  });
  it('refuses what is not a moment, and tells a label from a moment', () => {
    expect(() => parseMoment('2026-02-30T10:00', 'UTC')).toThrow(/not a valid date/);
    expect(() => parseMoment('yesterday', 'UTC')).toThrow(/2026-11-26T14:05/);
    expect(looksLikeMoment('2026-11-26')).toBe(false);
    expect(looksLikeMoment('2026-11-26T14:05')).toBe(true);
    expect(showMoment(new Date('2026-11-26T11:05:00Z'), 'Africa/Kampala')).toBe('2026-11-26 14:05:00 (Africa/Kampala)');
  });
});
