/**
 * Can this server restore a snapshot? Elasticsearch refuses a snapshot taken by a newer version
 * (an 8.x snapshot on 7.17, an 8.15 snapshot on 8.12) — and it says so only after the restore
 * request, i.e. after the indices it replaces were deleted. So the versions are compared first.
 *
 * Both sides are compared as version ids, which are ordered across Elasticsearch's change of
 * numbering: up to 8.10 the id is the release (7.17.3 → 7_17_03_99), from 8.11 on it is the
 * index version (8_500_000 and up, 9_000_000 and up for 9.x); a snapshot carries it as `version_id`,
 * a node reports its own as `index_version` (absent before 8.11, then its release id applies).
 */
import type { Client } from '@elastic/elasticsearch';
import { z } from 'zod';
import { call } from './connection.ts';

/** The oldest node of the cluster, as far as restoring snapshots goes. */
export interface ServerCompat {
  /** Release, e.g. `8.15.0`. */
  release: string;
  /** The newest snapshot version id it can restore. */
  versionId: number;
}

/** The version id of a release (`7.17.3` → 7170399), or undefined when `release` is no x.y.z. */
export function releaseVersionId(release: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(release);
  if (!m) return undefined;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (minor > 99 || patch > 99) return undefined;
  return major * 1_000_000 + minor * 10_000 + patch * 100 + 99;
}

/** A version id as a reader knows it: the release up to 8.10, the index version after. */
function describeId(id: number): string {
  if (id >= 8_500_000) return `index version ${id}`;
  const major = Math.floor(id / 1_000_000);
  const minor = Math.floor(id / 10_000) % 100;
  const patch = Math.floor(id / 100) % 100;
  return `${major}.${minor}.${patch}`;
}

/**
 * Why a snapshot taken at `snapshotVersionId` (its `version`, shown) cannot be restored on
 * `server`; undefined when it can, or when the snapshot names no version (nothing to compare).
 */
export function snapshotVersionProblem(
  snapshot: string,
  taken: { versionId?: number | undefined; version?: string | undefined },
  server: ServerCompat,
): string | undefined {
  const id = taken.versionId ?? (taken.version === undefined ? undefined : releaseVersionId(taken.version));
  if (id === undefined || id <= server.versionId) return undefined;
  const by = taken.version ?? describeId(id);
  return (
    `snapshot ${snapshot} was taken by Elasticsearch ${by} (version id ${id}), newer than this server ` +
    `(${server.release}, restores up to ${describeId(server.versionId)}): Elasticsearch cannot restore it here`
  );
}

const nodesSchema = z.object({
  nodes: z.record(z.object({ version: z.string(), index_version: z.number().int().optional() })).default({}),
});

/** What the cluster can restore: its oldest node decides (`release` is GET /'s version, the fallback). */
export async function serverCompat(client: Client, release: string): Promise<ServerCompat> {
  const raw = await call('reading node versions', () => client.nodes.info({ filter_path: 'nodes.*.version,nodes.*.index_version' }));
  let oldest: ServerCompat | undefined;
  for (const node of Object.values(nodesSchema.parse(raw).nodes)) {
    const versionId = node.index_version ?? releaseVersionId(node.version);
    if (versionId === undefined) continue;
    if (!oldest || versionId < oldest.versionId) oldest = { release: node.version, versionId };
  }
  if (oldest) return oldest;
  const versionId = releaseVersionId(release);
  // A version we cannot read compares as the highest: no refusal on a guess.
  return { release, versionId: versionId ?? Number.MAX_SAFE_INTEGER };
}
