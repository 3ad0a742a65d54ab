/**
 * Which sets retention must keep whatever their age, locally and on the backup server. One rule
 * for both: the newest complete set, and for EACH store the newest set that can still restore it.
 * "Newest complete" alone is not enough: a small set (`/backup --stores mongo`, a safety backup
 * before a `--stores` restore) is complete too, and would leave the last good MinIO or InfluxDB
 * backup unprotected while that store's nightly backups keep failing.
 */

/** The part of a manifest the rule reads (local manifests and the remote copies of them). */
export interface KeepView {
  label: string;
  /** Per-store outcome of the backup; absent in manifests that do not record it. */
  stores?: ReadonlyArray<{ store: string; ok: boolean }>;
  /** Stores whose files retention already removed. */
  pruned?: readonly string[];
  artifacts: ReadonlyArray<{ store: string }>;
}

function restorable(set: KeepView, store: string): boolean {
  if ((set.pruned ?? []).includes(store)) return false;
  if (!set.artifacts.some((a) => a.store === store)) return false;
  const result = set.stores?.find((s) => s.store === store);
  return result === undefined ? set.stores === undefined : result.ok;
}

function complete(set: KeepView): boolean {
  if ((set.pruned ?? []).length > 0) return false;
  if (set.stores === undefined) return set.artifacts.length > 0;
  return set.stores.length > 0 && set.stores.every((s) => s.ok);
}

/**
 * Labels to keep, each with the reason (for the report). `sets` must be ordered newest first.
 * `pinned` labels (a restore request or a running restore needs them) are kept too.
 */
export function protectedSets(sets: readonly KeepView[], pinned: ReadonlySet<string> = new Set()): Map<string, string> {
  const why = new Map<string, string[]>();
  const add = (label: string, reason: string): void => {
    why.set(label, [...(why.get(label) ?? []), reason]);
  };
  const newestComplete = sets.find(complete);
  if (newestComplete) add(newestComplete.label, 'the newest complete set');
  const stores = new Set(sets.flatMap((s) => s.artifacts.map((a) => a.store)));
  for (const store of [...stores].sort()) {
    const newest = sets.find((s) => restorable(s, store));
    if (newest && newest !== newestComplete) add(newest.label, `the newest backup of ${store}`);
  }
  for (const s of sets) if (pinned.has(s.label)) add(s.label, 'a restore request or a running restore needs it');
  return new Map([...why].map(([label, reasons]) => [label, reasons.join('; ')]));
}
