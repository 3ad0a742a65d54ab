/** Backup set labels: `YYYY-MM-DD` by default (as OpenCRVS names its files), or a custom safe name. */
import { formatInTimeZone } from './tz.ts';
import { InputError } from '../errors.ts';

const LABEL_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The default label for a moment: the calendar date in the deployment's time zone. */
export function defaultLabel(now: Date, timeZone: string): string {
  return formatInTimeZone(now, timeZone);
}

/** Label for the safety backup taken before a restore. */
export function preRestoreLabel(now: Date): string {
  return `pre-restore-${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}`;
}

/** Throws an InputError unless the label is safe to use in file names. */
export function assertLabel(label: string): string {
  if (!LABEL_RE.test(label)) {
    throw new InputError(`${shown(label)} is not a valid label: use letters, digits, ".", "_" or "-" (at most 64, starting with a letter or digit), e.g. 2026-11-26`);
  }
  return label;
}

/** User input echoed in a message: quoted, control characters escaped, at most ~60 characters. */
export function shown(text: string): string {
  const q = JSON.stringify(text);
  return q.length > 62 ? `${q.slice(0, 60)}…"` : q;
}

/** True when the label is safe as one file-name segment (the rule assertLabel enforces). */
export function isValidLabel(label: string): boolean {
  return LABEL_RE.test(label);
}

/**
 * True when `rel` is a relative POSIX path that stays inside the folder it is joined to: no
 * leading "/", no "..", "." or empty segment, no backslash, no control character. Every path
 * read from a manifest or an offsite record is checked with this before it touches the disk.
 */
export function isSafeRelPath(rel: string): boolean {
  if (rel === '' || rel.startsWith('/') || rel.includes('\\')) return false;
  if (/[\u0000-\u001f\u007f]/.test(rel)) return false;
  return rel.split('/').every((p) => p !== '' && p !== '.' && p !== '..');
}

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j] as number;
      prev[j] = Math.min((prev[j] as number) + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length] as number;
}

/** The labels closest to `wanted` (edit distance), at most `n`, for "did you mean" messages. */
export function nearestLabels(wanted: string, available: string[], n = 3): string[] {
  return [...available]
    .sort((x, y) => distance(wanted, x) - distance(wanted, y) || y.localeCompare(x))
    .slice(0, n);
}
