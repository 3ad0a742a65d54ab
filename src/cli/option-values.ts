/**
 * Value parsers for commander options. Each throws an InputError (exit 2) with the message a user
 * sees, so a bad value is refused while parsing — before the configuration is read or anything
 * connects.
 */
import { assertLabel, shown } from '../backup/labels.ts';
import { InputError } from '../errors.ts';
import type { StoreName } from '../stores/types.ts';
import { parseStores } from './commands/stores-flag.ts';

/** A value that is really there: not empty, and not the next option taken as this one's value. */
export function value(flag: string): (raw: string) => string {
  return (raw) => {
    if (raw === '' || raw.startsWith('--')) throw new InputError(`${flag} needs a value`);
    return raw;
  };
}

export function labelValue(raw: string): string {
  return assertLabel(value('--label')(raw));
}

export function storesValue(raw: string): StoreName[] {
  return parseStores(value('--stores')(raw)) ?? [];
}

/** A whole number from `min` to `max`, or an InputError naming the range. */
export function wholeNumber(flag: string, min: number, max: number, what = 'a whole number'): (raw: string) => number {
  return (raw) => {
    const n = Number(value(flag)(raw));
    if (!Number.isInteger(n) || n < min || n > max) throw new InputError(`${flag} must be ${what} from ${min} to ${max}, not ${shown(raw)}`);
    return n;
  };
}

export function dateValue(raw: string): Date {
  const d = new Date(value('--since')(raw));
  if (Number.isNaN(d.getTime())) throw new InputError(`--since must be a date such as 2026-11-01, not ${shown(raw)}`);
  return d;
}
