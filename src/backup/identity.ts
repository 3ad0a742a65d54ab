/**
 * Cheap identities of a set's files: size and modification time, recorded when a full
 * verification read the file (with the sha256 it found). Comparing them later costs a stat per
 * file, not a read: an approval click and an adapter about to drop a store use them to know that
 * the bytes a full verification just checked are still the ones on disk.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Artifact } from '../stores/types.ts';

/** One file of a set as a full verification saw it. `path` is relative to the backup root. */
export interface FileIdentity {
  path: string;
  bytes: number;
  /** Modification time in milliseconds (fractions kept: filesystems record nanoseconds). */
  mtimeMs: number;
  /** The sha256 the verification computed (equal to the manifest's when the file verified). */
  sha256: string;
}

/** What a full verification of a set leaves for the adapters that restore it moments later. */
export interface VerifiedSet {
  /** When the verification ended (ms since the epoch). */
  at: number;
  /** Every file the verification read, by path relative to the backup root. */
  files: ReadonlyMap<string, FileIdentity>;
}

/** Size and mtime of `root/path` now; undefined when it is missing. */
export async function statIdentity(root: string, path: string): Promise<{ bytes: number; mtimeMs: number } | undefined> {
  try {
    const s = await stat(join(root, path));
    return { bytes: s.size, mtimeMs: s.mtimeMs };
  } catch {
    return undefined;
  }
}

/** The paths (relative to the root) of an artifact's files: the file itself, or each file of a folder. */
export function artifactFiles(a: Artifact): Array<{ path: string; bytes: number; sha256: string }> {
  if (a.kind === 'es-snapshot') return [];
  if (a.kind === 'file') return [{ path: a.path, bytes: a.bytes, sha256: a.sha256 }];
  return (a.files ?? []).map((f) => ({ path: `${a.path}/${f.path}`, bytes: f.bytes, sha256: f.sha256 }));
}

function shown(ms: number): string {
  return new Date(ms).toISOString();
}

/** How each file differs now from its recorded identity (missing, other size, other mtime); [] when none does. */
export async function identityChanges(root: string, recorded: Iterable<FileIdentity>): Promise<string[]> {
  const out: string[] = [];
  for (const f of recorded) {
    const now = await statIdentity(root, f.path);
    if (!now) out.push(`${f.path}: missing`);
    else if (now.bytes !== f.bytes) out.push(`${f.path}: ${now.bytes} bytes, ${f.bytes} when it was verified`);
    else if (now.mtimeMs !== f.mtimeMs) out.push(`${f.path}: modified at ${shown(now.mtimeMs)}, after it was verified (${shown(f.mtimeMs)})`);
  }
  return out;
}

/**
 * The adapters' cheap check before a drop, when the set was verified in full moments ago: every
 * file of the artifacts was among those verified (same sha256 as the manifest's) and is unchanged
 * since. Returns problems; [] when the adapter may rely on that verification.
 */
export async function unchangedSinceVerified(root: string, verified: VerifiedSet, artifacts: Artifact[]): Promise<string[]> {
  const wanted: FileIdentity[] = [];
  const problems: string[] = [];
  for (const a of artifacts) {
    for (const f of artifactFiles(a)) {
      const seen = verified.files.get(f.path);
      if (!seen) problems.push(`${f.path}: was not part of the verification`);
      else if (seen.sha256 !== f.sha256 || seen.bytes !== f.bytes) problems.push(`${f.path}: the verification found other content than the manifest's`);
      else wanted.push(seen);
    }
  }
  return [...problems, ...(await identityChanges(root, wanted))];
}
