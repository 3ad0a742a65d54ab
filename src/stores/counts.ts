/**
 * How many records a store's counts stand for. Counts are keyed per store (see Artifact.counts) and
 * some keys measure something else: MinIO keeps `<bucket>.bytes` next to `<bucket>.objects`, and
 * InfluxDB keeps `<measurement>.series` next to `<measurement>.points`. Summing every value would
 * show a MinIO bucket's size as its number of records, so only the record keys are added up.
 */
import type { StoreName } from './types.ts';

/** The key suffix that counts records, for the stores whose counts mix in other measures. */
const RECORD_SUFFIX: Partial<Record<StoreName, string>> = {
  minio: '.objects',
  influxdb: '.points',
  folders: '.files',
};

/** Records (documents, hits, points, objects) in one store's counts. */
export function recordCount(store: StoreName, counts: Record<string, number> | undefined): number {
  const suffix = RECORD_SUFFIX[store];
  let n = 0;
  for (const [key, value] of Object.entries(counts ?? {})) {
    if (suffix === undefined || key.endsWith(suffix)) n += value;
  }
  return n;
}
