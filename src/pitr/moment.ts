/**
 * A moment as an operator types it: `2026-11-26T14:05` (or with seconds) in the deployment's time
 * zone (BACKUP_TIME_ZONE), or with an explicit offset (`Z`, `+01:00`). Shown back the same way.
 */
import { InputError } from '../errors.ts';

const MOMENT = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:?\d{2})?$/;

/** True when the text looks like a moment (a date with a time), not a set label. */
export function looksLikeMoment(text: string): boolean {
  return MOMENT.test(text.trim());
}

/** Minutes the zone is ahead of UTC at `utcMs`. */
function offsetMinutes(utcMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(new Date(utcMs));
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(utcMs / 1000) * 1000) / 60_000);
}

/** Parses a moment; InputError when it is not one. */
export function parseMoment(text: string, timeZone: string): Date {
  const m = MOMENT.exec(text.trim());
  if (!m) throw new InputError(`"${text}" is not a moment: write it as 2026-11-26T14:05 (${timeZone}) or with an offset, 2026-11-26T14:05+01:00`, 'bad_moment');
  const [, y, mo, d, h, mi, s, zone] = m;
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0));
  if (Number.isNaN(wall) || new Date(wall).getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59) throw new InputError(`"${text}" is not a valid date and time`, 'bad_moment');
  if (zone) {
    if (zone === 'Z') return new Date(wall);
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    return new Date(wall - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000);
  }
  // Wall time in the zone: try the offset at the guess, then once more (a DST change in between).
  let utc = wall - offsetMinutes(wall, timeZone) * 60_000;
  utc = wall - offsetMinutes(utc, timeZone) * 60_000;
  return new Date(utc);
}

/** "2026-11-26 14:05:00 (Africa/Kampala)" — a moment as the deployment's operators read it. */
export function showMoment(d: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(d);
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '00';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')} (${timeZone})`;
}
