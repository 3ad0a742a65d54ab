/**
 * What an InfluxDB database holds, per measurement: `<measurement>.series` (series with data) and
 * `<measurement>.points`. A point's fields are counted per series by `count(*)`; the largest field
 * count of a series is its number of points (exact when, as in OpenCRVS, every point of a
 * measurement carries the same fields).
 */
import type { Counts } from '../types.ts';
import { quoteIdent, type InfluxHttp } from './http.ts';

/** Keys of the counts of a measurement. */
export function countKeys(measurement: string): { series: string; points: string } {
  return { series: `${measurement}.series`, points: `${measurement}.points` };
}

/**
 * Counts every measurement of `db`, only points at or before `until` (ISO time) when given: a
 * backup records counts up to its start, so writes that land during the backup do not make the
 * restored data look different from the manifest.
 */
export async function measureCounts(http: InfluxHttp, db: string, until?: string): Promise<Counts> {
  const databases = await http.query('SHOW DATABASES');
  const names = databases.flatMap((s) => (s.values ?? []).map((v) => String(v[0])));
  if (!names.includes(db)) return {};
  const where = until ? ` WHERE time <= '${until}'` : '';
  const counts: Counts = {};
  // One row per series: GROUP BY * keeps the answer proportional to the number of series, and
  // the chunked reader handles it a chunk at a time.
  await http.queryChunked(`SELECT count(*) FROM /.*/${where} GROUP BY *`, db, (s) => {
    if (!s.name) return;
    let points = 0;
    for (const row of s.values ?? []) {
      for (const v of row.slice(1)) if (typeof v === 'number' && v > points) points = v;
    }
    if (points === 0) return;
    const k = countKeys(s.name);
    counts[k.series] = (counts[k.series] ?? 0) + 1;
    counts[k.points] = (counts[k.points] ?? 0) + points;
  });
  return sortKeys(counts);
}

/** Reads a few points of a measurement (oldest first), for spot checks. */
export async function samplePoints(http: InfluxHttp, db: string, measurement: string, limit: number): Promise<unknown[][]> {
  const series = await http.query(`SELECT * FROM ${quoteIdent(measurement)} ORDER BY time ASC LIMIT ${limit}`, { db, long: true });
  return series.flatMap((s) => s.values ?? []);
}

function sortKeys(c: Counts): Counts {
  return Object.fromEntries(Object.entries(c).sort(([a], [b]) => a.localeCompare(b)));
}
