/**
 * Verifies a backup set without touching any store's data: the manifest is there and complete,
 * every artifact exists with its recorded size and sha256, and each adapter's structural read
 * (whole Mongo archive parsed, whole tar read, snapshot state) finds nothing wrong.
 */
import { join } from 'node:path';
import { InputError, userMessage } from '../errors.ts';
import { STORE_NAMES, type Artifact, type StoreName } from '../stores/types.ts';
import { dirDigest, sha256File } from './checksum.ts';
import { artifactFiles, statIdentity, type FileIdentity } from './identity.ts';
import type { BackupDeps } from './deps.ts';
import { assertLabel, nearestLabels } from './labels.ts';
import { listManifests, listOrphanLabels, readManifest, type Manifest } from './manifest.ts';

export interface VerifyResult {
  label: string;
  manifest: Manifest | undefined;
  manifestSha256: string | undefined;
  /** Every problem found, each prefixed with its store or artifact path. */
  problems: string[];
  /** The same problems by store; problems of the set as a whole are under `set`. */
  byStore: Partial<Record<StoreName | 'set', string[]>>;
  /** Every file read in full and found equal to the manifest, with its size and mtime then (none for a quick check). */
  files: FileIdentity[];
}

/** Throws an InputError naming the nearest labels when nothing at all is known under `label`. */
export async function unknownLabelError(root: string, label: string): Promise<InputError> {
  const known = (await listManifests(root)).map((m) => m.manifest.label);
  const nearest = nearestLabels(label, [...known, ...(await listOrphanLabels(root, new Set(known)))]);
  const hint = nearest.length > 0 ? ` Nearest available: ${nearest.join(', ')}.` : ' There are no backup sets yet.';
  return new InputError(`No backup set named "${label}".${hint}`, 'unknown_label');
}

/** Reads every file of the artifact in full (sha256) unless `quick`, where only presence and size are checked. */
async function checkArtifact(root: string, a: Artifact, seen: FileIdentity[], opts: { quick: boolean; onFullRead?: (path: string) => void }): Promise<string[]> {
  const problems: string[] = [];
  for (const f of artifactFiles(a)) {
    const before = await statIdentity(root, f.path);
    if (!before) {
      problems.push(`${f.path}: missing`);
      continue;
    }
    if (before.bytes !== f.bytes) {
      problems.push(`${f.path}: size ${before.bytes} bytes, manifest says ${f.bytes}`);
      continue;
    }
    if (opts.quick) continue;
    opts.onFullRead?.(f.path);
    const { sha256 } = await sha256File(join(root, f.path));
    const after = await statIdentity(root, f.path);
    if (!after || after.bytes !== before.bytes || after.mtimeMs !== before.mtimeMs) {
      problems.push(`${f.path}: changed while it was being verified`);
      continue;
    }
    if (sha256 !== f.sha256) {
      problems.push(`${f.path}: checksum mismatch`);
      continue;
    }
    seen.push({ path: f.path, bytes: before.bytes, mtimeMs: before.mtimeMs, sha256 });
  }
  if (problems.length === 0 && a.kind === 'dir' && a.files && dirDigest(a.files) !== a.sha256) problems.push(`${a.path}: folder checksum does not match its file list`);
  return problems;
}

export interface VerifyOptions {
  signal?: AbortSignal;
  /**
   * Presence and sizes only, no file read and no structural check: the restore job's early check
   * (its full verification comes right before the first drop). `files` stays empty.
   */
  quick?: boolean;
}

export async function verifySet(deps: BackupDeps, label: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const root = deps.config.backupRoot;
  // A label is a file name here: a bad one is bad input (exit 2), not a problem of some set.
  assertLabel(label);
  const read = await readManifest(root, label).catch((err: unknown) => {
    return { error: userMessage(err) } as const;
  });
  if (read === undefined) {
    const orphans = await listOrphanLabels(root, new Set());
    if (!orphans.includes(label)) throw await unknownLabelError(root, label);
    const problem = `${label} has no manifest: the set is incomplete (interrupted, or made by the old scripts: see \`crvs-backup adopt\`)`;
    return { label, manifest: undefined, manifestSha256: undefined, problems: [problem], byStore: { set: [problem] }, files: [] };
  }
  if ('error' in read) return { label, manifest: undefined, manifestSha256: undefined, problems: [read.error], byStore: { set: [read.error] }, files: [] };
  const { manifest, sha256 } = read;
  const byStore: Partial<Record<StoreName | 'set', string[]>> = {};
  const add = (store: StoreName, found: string[]): void => {
    if (found.length > 0) (byStore[store] ??= []).push(...found);
  };
  for (const s of manifest.stores) if (!s.ok) add(s.store, [`${s.store}: the backup of this store failed (${s.error ?? 'no reason recorded'})`]);
  for (const s of manifest.pruned ?? []) add(s, [`${s}: its files were removed by retention`]);
  const signal = opts.signal ?? new AbortController().signal;
  const files: FileIdentity[] = [];
  for (const store of STORE_NAMES) {
    const artifacts = manifest.artifacts.filter((a) => a.store === store) as Artifact[];
    if (artifacts.length === 0) continue;
    const found: string[] = [];
    for (const a of artifacts) found.push(...(await checkArtifact(root, a, files, { quick: opts.quick === true, onFullRead: deps.onFullRead })));
    add(store, found);
    if (found.length > 0 || opts.quick) continue;
    const adapter = deps.adapters.get(store);
    if (!adapter) {
      add(store, [`${store}: no adapter is configured to read this store's artifacts`]);
      continue;
    }
    try {
      const structural = await adapter.verify(artifacts, { label, root, signal, progress: () => undefined });
      add(store, structural.map((p) => (p.startsWith(store) ? p : `${store}: ${p}`)));
    } catch (err) {
      add(store, [`${store}: ${userMessage(err)}`]);
    }
  }
  const problems = Object.values(byStore).flat();
  return { label, manifest, manifestSha256: sha256, problems, byStore, files };
}
