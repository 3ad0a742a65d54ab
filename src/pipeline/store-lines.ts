/** One line per store of a finished set, compared with the previous set that holds that store. */
import type { Manifest } from '../backup/manifest.ts';
import { recordCount } from '../stores/counts.ts';
import { recordedFigures } from '../stores/elasticsearch/index.ts';
import type { StoreName } from '../stores/types.ts';
import { SHRINK_WARN_PERCENT, type StoreLine } from './types.ts';

function totals(m: Manifest, store: StoreName): { bytes: number; records: number } {
  let bytes = 0;
  let records = 0;
  for (const a of m.artifacts) {
    if (a.store !== store) continue;
    bytes += a.bytes;
    records += recordCount(store, a.counts);
  }
  return { bytes, records };
}

function holds(m: Manifest, store: StoreName): boolean {
  const result = m.stores.find((s) => s.store === store);
  return result?.ok === true && !(m.pruned ?? []).includes(store) && m.artifacts.some((a) => a.store === store);
}

/** What the store's snapshot(s) added and the repository's size, when the manifest records them. */
function snapshotOf(m: Manifest, store: StoreName): StoreLine['snapshot'] {
  let out: StoreLine['snapshot'];
  for (const a of m.artifacts) {
    if (a.store !== store) continue;
    const f = recordedFigures(a);
    if (!f) continue;
    out = { addedBytes: (out?.addedBytes ?? 0) + f.addedBytes, addedFiles: (out?.addedFiles ?? 0) + f.addedFiles };
    if (f.repositoryBytes !== undefined) out.repositoryBytes = f.repositoryBytes;
  }
  return out;
}

/** `previous` are earlier manifests, newest first (the current one may be among them: it is skipped). */
export function storeLines(current: Manifest, previous: Manifest[]): StoreLine[] {
  return current.stores.map((s) => {
    const { bytes, records } = totals(current, s.store);
    const line: StoreLine = { store: s.store, ok: s.ok, bytes, records, durationMs: s.durationMs, shrank: false };
    if (s.error) line.error = s.error;
    if (!s.ok) return line;
    const snapshot = snapshotOf(current, s.store);
    if (snapshot) line.snapshot = snapshot;
    const before = previous.find((m) => m.label !== current.label && m.createdAt < current.createdAt && holds(m, s.store));
    if (!before) return line;
    const old = totals(before, s.store);
    // Elasticsearch artifacts have no size of their own (the repository is shared): compare records.
    const [now, then] = old.bytes > 0 && bytes > 0 ? [bytes, old.bytes] : [records, old.records];
    if (then > 0) {
      line.changePercent = (100 * (now - then)) / then;
      line.previousLabel = before.label;
      line.shrank = line.changePercent < -SHRINK_WARN_PERCENT;
    }
    return line;
  });
}
