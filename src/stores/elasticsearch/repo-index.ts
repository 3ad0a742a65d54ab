/**
 * What the repository folder itself records about its snapshots: the root `index-N` blob (JSON,
 * `index.latest` names N) lists every snapshot with the Elasticsearch version that wrote it. This is
 * read from disk, before the server is asked anything, so a snapshot too old for the server (a 6.x
 * snapshot on 8.x) is refused before any index is deleted.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { z } from 'zod';
import type { ServerCompat } from './compat.ts';

const repoIndexSchema = z.object({
  snapshots: z.array(z.object({ name: z.string(), version: z.string().optional() }).passthrough()).default([]),
});

/** The generation `index.latest` names, else the highest `index-N` present. */
async function latestGeneration(dir: string): Promise<number | undefined> {
  const latest = await readFile(join(dir, 'index.latest')).catch(() => undefined);
  if (latest && latest.length === 8) return Number(latest.readBigInt64BE(0));
  const names = await readdir(dir).catch(() => [] as string[]);
  const gens = names.map((n) => /^index-(\d+)$/.exec(n)?.[1]).filter((g): g is string => g !== undefined).map(Number);
  return gens.length > 0 ? Math.max(...gens) : undefined;
}

/** Snapshot name → the version the repository records for it (only those that record one). */
export async function recordedSnapshotVersions(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const gen = await latestGeneration(dir);
  if (gen === undefined) return out;
  const raw = await readFile(join(dir, `index-${gen}`)).catch(() => undefined);
  if (!raw) return out;
  let text: string;
  try {
    // Written plain by today's servers; a repository with compression may hold it deflated ("DFL\0").
    text = raw.subarray(0, 4).toString('latin1') === 'DFL\0' ? inflateRawSync(raw.subarray(4)).toString('utf8') : raw.toString('utf8');
  } catch {
    return out;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return out;
  }
  const parsed = repoIndexSchema.safeParse(json);
  if (!parsed.success) return out;
  for (const s of parsed.data.snapshots) if (s.version) out.set(s.name, s.version);
  return out;
}

/**
 * Why a snapshot written by `version` is too old for `server`, or undefined. Elasticsearch restores
 * snapshots of its own major version and the one before (8.x reads 7.x, not 6.x): older indices
 * must be reindexed through an intermediate version first.
 */
export function snapshotTooOldProblem(snapshot: string, version: string, server: ServerCompat): string | undefined {
  const taken = Number(/^(\d+)\./.exec(version)?.[1]);
  const serverMajor = Number(/^(\d+)\./.exec(server.release)?.[1]);
  if (!Number.isFinite(taken) || !Number.isFinite(serverMajor) || taken >= serverMajor - 1) return undefined;
  return (
    `snapshot ${snapshot} was taken by Elasticsearch ${version}, too old for this server (${server.release} restores ` +
    `snapshots of ${serverMajor - 1}.x and ${serverMajor}.x only): restore it on Elasticsearch ${taken + 1}.x, reindex, and take a new snapshot there`
  );
}
