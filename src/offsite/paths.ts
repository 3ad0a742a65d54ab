/** Path and shell-quoting rules for remote paths: nothing a manifest says can escape the remote folder. */
import { isSafeRelPath, shown } from '../backup/labels.ts';
import { OffsiteError } from './errors.ts';

const LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Folder names in the remote directory that are not sets. */
export const RESERVED = new Set(['elasticsearch']);

/** Throws unless `label` is a plain set label (one safe path segment, not reserved). */
export function assertLabel(label: string): string {
  if (!LABEL.test(label) || RESERVED.has(label)) throw new OffsiteError('offsite_bad_path', `invalid set label ${shown(label)}`);
  return label;
}

/** Throws unless `rel` is a relative POSIX path without `..`, empty parts or control characters. */
export function assertRelPath(rel: string): string {
  if (!isSafeRelPath(rel)) throw new OffsiteError('offsite_bad_path', `unsafe path in manifest: ${JSON.stringify(rel)}`);
  return rel;
}

/** Quotes one word for a POSIX shell: single quotes, with embedded ones closed and escaped. */
export function shq(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Joins POSIX path parts (the remote side is always POSIX). */
export function rjoin(...parts: string[]): string {
  return parts.join('/').replace(/\/{2,}/g, '/');
}

/** Parent folder of a POSIX path. */
export function rdirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

/** The temporary name a file is uploaded under before it is verified and renamed. */
export function partName(p: string): string {
  const i = p.lastIndexOf('/');
  return `${p.slice(0, i + 1)}.${p.slice(i + 1)}.part`;
}
