/**
 * Local retention: per store, keep the artifacts of sets younger than that store's number of
 * days. Never touched, whatever their age: the newest complete set, the newest set that can still
 * restore each store, and the sets a restore request or a running restore needs (pins.ts).
 * Elasticsearch snapshots are deleted only through the snapshot API (adapter.prune), never with
 * rm: snapshot files are shared. Callers hold the shared operations lock.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { differenceInCalendarDays } from 'date-fns';
import { userMessage } from '../errors.ts';
import type { Artifact, StoreName } from '../stores/types.ts';
import type { BackupDeps } from './deps.ts';
import { protectedSets } from './keep.ts';
import { listManifests, manifestPath, writeManifest } from './manifest.ts';
import { pruneWal } from '../pitr/retention.ts';

export interface PruneResult {
  /** `<label>: <store>` removed. */
  removed: string[];
  /** Labels whose manifest was deleted because nothing of them was left. */
  deletedSets: string[];
  kept: string[];
  /** `<label>: <why>` for every set kept whatever its age. */
  held: string[];
  errors: string[];
}

export interface PruneOptions {
  dryRun?: boolean;
  /** Labels a restore request or a running restore needs (pinnedLabels): required, so no caller forgets them. */
  pinned: ReadonlySet<string>;
}

export async function pruneLocal(deps: BackupDeps, opts: PruneOptions): Promise<PruneResult> {
  const { config } = deps;
  const now = deps.now?.() ?? new Date();
  const sets = await listManifests(config.backupRoot);
  const held = protectedSets(sets.map((s) => s.manifest), opts.pinned);
  const result: PruneResult = { removed: [], deletedSets: [], kept: [], held: [...held].map(([l, why]) => `${l}: ${why}`), errors: [] };
  for (const { manifest } of sets) {
    if (held.has(manifest.label)) {
      result.kept.push(manifest.label);
      continue;
    }
    const age = differenceInCalendarDays(now, new Date(manifest.createdAt));
    const pruned = new Set<StoreName>(manifest.pruned ?? []);
    const storesInSet = new Set(manifest.artifacts.map((a) => a.store));
    let changed = false;
    for (const store of storesInSet) {
      if (pruned.has(store)) continue;
      const days = config.retentionDays[store] ?? 7;
      if (age < days) continue;
      const artifacts = manifest.artifacts.filter((a) => a.store === store) as Artifact[];
      if (opts.dryRun) {
        result.removed.push(`${manifest.label}: ${store}`);
        continue;
      }
      try {
        if (store === 'elasticsearch') {
          // Without the adapter the snapshot would stay in the repository while the manifest says it is gone.
          const es = deps.adapters.get(store);
          if (!es?.prune) throw new Error('no Elasticsearch adapter is configured to delete the snapshot through its API');
          await es.prune(artifacts);
        } else for (const a of artifacts) await rm(join(config.backupRoot, a.path), { recursive: true, force: true });
        pruned.add(store);
        changed = true;
        result.removed.push(`${manifest.label}: ${store}`);
      } catch (err) {
        result.errors.push(`${manifest.label}: ${store}: ${userMessage(err)}`);
      }
    }
    if (!changed) {
      result.kept.push(manifest.label);
      continue;
    }
    if ([...storesInSet].every((s) => pruned.has(s))) {
      await rm(manifestPath(config.backupRoot, manifest.label), { force: true });
      result.deletedSets.push(manifest.label);
    } else {
      await writeManifest(config.backupRoot, { ...manifest, pruned: [...pruned] });
      result.kept.push(manifest.label);
    }
  }
  if (config.pitr.enabled) {
    // After the sets: WAL goes only when no base backup that is left needs it.
    try {
      for (const w of await pruneWal(config.backupRoot, { dryRun: opts.dryRun })) result.removed.push(`postgres-wal: ${w}`);
    } catch (err) {
      result.errors.push(`postgres-wal: ${userMessage(err)}`);
    }
  }
  return result;
}
