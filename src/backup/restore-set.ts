/**
 * Restores a backup set. Everything is verified first (manifest, checksums, structure of every
 * artifact); only then does any store get replaced, one store at a time in the runbook's order,
 * each followed by a count check against the manifest.
 */
import { InputError, StoreError, VerificationError, userMessage } from '../errors.ts';
import type { Artifact, Counts, Progress, StoreName } from '../stores/types.ts';
import { recordCount } from '../stores/counts.ts';
import { type BackupDeps, withTimeout } from './deps.ts';
import type { Manifest } from './manifest.ts';
import type { VerifiedSet } from './identity.ts';
import { verifySet } from './verify-set.ts';

/** The order of the OpenCRVS restore scripts (MongoDB first: migrations read it). */
export const RESTORE_ORDER: readonly StoreName[] = ['mongo', 'postgres', 'elasticsearch', 'influxdb', 'minio', 'folders'];

export interface RestoreOptions {
  stores?: StoreName[];
  /** Refuse unless the manifest still has this sha256 (approvals are bound to it). */
  expectedManifestSha256?: string;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Checkpoint hooks, so a resumed job does not blindly repeat a destructive step. */
  isDone?: (store: StoreName) => Promise<boolean>;
  onStoreStart?: (store: StoreName) => Promise<void>;
  /** Called right before the store's data is replaced: throws (e.g. LockLostError) to stop before any drop. */
  fence?: (store: StoreName) => Promise<void>;
  /** `checked`: whether the set held counts that were compared (false: adopted sets, live ES snapshots). */
  onStoreDone?: (store: StoreName, counts: Counts, ms: number, checked: boolean) => Promise<void>;
  /** The adapter refused before changing anything (its own checks of the artifacts failed). */
  onStoreUntouched?: (store: StoreName, reason: string) => Promise<void>;
  /**
   * The full verification the caller ran right before (prepareRestore): not repeated, and handed
   * to the adapters as StoreContext.verified so they check identities instead of reading again.
   * Without it, the set is verified here and each adapter runs its own full checks (CLI, drill).
   */
  prepared?: PreparedRestore;
}

/** A set verified for a restore: its manifest, the stores to restore, and what the verification read. */
export interface PreparedRestore {
  manifest: Manifest;
  sha256: string;
  stores: StoreName[];
  /** Identities of the files read in full; undefined after a quick check (nothing was read). */
  verified: VerifiedSet | undefined;
}

export interface StoreRestoreResult {
  store: StoreName;
  counts: Counts;
  durationMs: number;
  skipped: boolean;
  /** False when the set recorded no counts that bind (adopted legacy sets, live ES snapshots): nothing was compared. */
  countsChecked: boolean;
}

export interface RestoreOutcome {
  manifest: Manifest;
  manifestSha256: string;
  results: StoreRestoreResult[];
}

/** Differences between what a store holds after restore and what the manifest recorded. */
export function countMismatches(expected: Counts, actual: Counts): string[] {
  const out: string[] = [];
  for (const [key, want] of Object.entries(expected)) {
    const got = actual[key] ?? 0;
    if (got !== want) out.push(`${key}: ${got} after restore, ${want} in the set`);
  }
  // Compared exactly: what the store holds beside the set's content is a difference too.
  if (Object.keys(expected).length > 0) {
    for (const [key, got] of Object.entries(actual)) {
      if (!(key in expected) && got > 0) out.push(`${key}: ${got} after restore, not in the set`);
    }
  }
  return out;
}

/**
 * Verifies the whole set and the stores asked for; throws before anything is destroyed. `quick`:
 * presence and sizes only (the restore job's early check; no file is read).
 */
export async function prepareRestore(deps: BackupDeps, label: string, opts: RestoreOptions & { quick?: boolean }): Promise<PreparedRestore> {
  const verified = await verifySet(deps, label, { signal: opts.signal, quick: opts.quick });
  const setProblems = verified.byStore.set ?? [];
  if (!verified.manifest || !verified.manifestSha256 || setProblems.length > 0) {
    throw new VerificationError(label, setProblems.length > 0 ? setProblems : ['the set has no readable manifest']);
  }
  if (opts.expectedManifestSha256 && opts.expectedManifestSha256 !== verified.manifestSha256) {
    throw new VerificationError(label, ['the manifest changed after the restore was approved; request the restore again']);
  }
  const inSet = new Set(verified.manifest.artifacts.map((a) => a.store));
  // Without --stores, every store the set was made of must be sound: a partial set is refused.
  const wanted = opts.stores ?? RESTORE_ORDER.filter((s) => inSet.has(s) || verified.manifest?.stores.some((r) => r.store === s));
  const problems = wanted.flatMap((s) => verified.byStore[s] ?? []);
  if (problems.length > 0) throw new VerificationError(label, problems);
  const missing = wanted.filter((s) => !inSet.has(s));
  if (missing.length > 0) throw new InputError(`The set ${label} holds no backup of: ${missing.join(', ')}`);
  const unconfigured = wanted.filter((s) => !deps.adapters.has(s));
  if (unconfigured.length > 0) throw new InputError(`These stores are not configured here: ${unconfigured.join(', ')}`);
  const files = opts.quick ? undefined : { at: Date.now(), files: new Map(verified.files.map((f) => [f.path, f])) };
  return { manifest: verified.manifest, sha256: verified.manifestSha256, stores: RESTORE_ORDER.filter((s) => wanted.includes(s)), verified: files };
}

export async function restoreSet(deps: BackupDeps, label: string, opts: RestoreOptions = {}): Promise<RestoreOutcome> {
  const { config, logger } = deps;
  const { manifest, sha256, stores, verified } = opts.prepared ?? (await prepareRestore(deps, label, opts));
  // Only a verification handed in by the caller is relied on (moments ago, under the same lock).
  const fresh = opts.prepared ? verified : undefined;
  const results: StoreRestoreResult[] = [];
  for (const store of stores) {
    const adapter = deps.adapters.get(store);
    if (!adapter) continue;
    if (await opts.isDone?.(store)) {
      results.push({ store, counts: {}, durationMs: 0, skipped: true, countsChecked: false });
      continue;
    }
    const artifacts = manifest.artifacts.filter((a) => a.store === store) as Artifact[];
    const expected: Counts = adapter.expectedAfterRestore?.(artifacts) ?? Object.assign({}, ...artifacts.map((a) => a.counts));
    const started = Date.now();
    await opts.onStoreStart?.(store);
    await opts.fence?.(store);
    opts.onProgress?.({ store, message: 'restoring' });
    let counts: Counts;
    try {
      counts = await withTimeout(`${store} restore`, config.storeTimeoutMs, opts.signal, (signal) =>
        adapter.restore(artifacts, {
          label,
          root: config.backupRoot,
          signal,
          progress: (p) => opts.onProgress?.(p),
          ...(fresh ? { verified: fresh } : {}),
          ...(deps.onFullRead ? { onFullRead: deps.onFullRead } : {}),
        }),
        { logger },
      );
    } catch (err) {
      // Adapters raise VerificationError only from the checks they run before deleting anything.
      if (err instanceof VerificationError) await opts.onStoreUntouched?.(store, userMessage(err));
      throw new StoreError(store, `restore failed: ${userMessage(err)}`, { cause: err });
    }
    const mismatches = countMismatches(expected, counts);
    if (mismatches.length > 0) throw new StoreError(store, `restored, but the counts differ from the set:\n- ${mismatches.join('\n- ')}`);
    const ms = Date.now() - started;
    const checked = Object.keys(expected).length > 0;
    await opts.onStoreDone?.(store, counts, ms, checked);
    opts.onProgress?.({ store, message: `restored (${recordCount(store, counts)} records)` });
    logger.info({ store, label, ms }, 'store restored');
    results.push({ store, counts, durationMs: ms, skipped: false, countsChecked: checked });
  }
  return { manifest, manifestSha256: sha256, results };
}
