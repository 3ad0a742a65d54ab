/** Structural checks of an Elasticsearch artifact: the snapshot as the server sees it, and the folder on disk. */
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import type { Client } from '@elastic/elasticsearch';
import { z } from 'zod';
import type { Artifact } from '../types.ts';
import { snapshotVersionProblem, type ServerCompat } from './compat.ts';
import { recordedSnapshotVersions, snapshotTooOldProblem } from './repo-index.ts';
import { getSnapshot } from './snapshots.ts';

/** What backup() keeps in Artifact.meta. */
export const snapshotMetaSchema = z.object({
  snapshot: z.string().min(1),
  uuid: z.string().min(1),
  repository: z.string().min(1).optional(),
  indices: z.array(z.string()),
  /** False when document counts changed while the snapshot ran (a live index): counts are then indicative. */
  countsStable: z.boolean().default(true),
});
export type SnapshotMeta = z.infer<typeof snapshotMetaSchema>;

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Problems with the repository folder as this bot sees it; [] when it holds a repository index. */
export async function repositoryFolderProblems(localPath: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(localPath);
  } catch {
    return [`the snapshot repository folder ${localPath} is missing or unreadable`];
  }
  // Every fs repository that holds a snapshot has a root index-N blob.
  if (!names.some((n) => /^index-\d+$/.test(n))) return [`the snapshot repository folder ${localPath} holds no repository index (index-N)`];
  return [];
}

/** Parses an artifact's meta, or says why it cannot be used. */
export function parseMeta(a: Artifact): SnapshotMeta | string {
  if (a.kind !== 'es-snapshot') return `artifact ${a.path} is a ${a.kind}, not an Elasticsearch snapshot`;
  const meta = snapshotMetaSchema.safeParse(a.meta ?? {});
  if (!meta.success) return `artifact ${a.path} has no usable snapshot details (snapshot, uuid, indices)`;
  if (sha256(meta.data.uuid) !== a.sha256) return `snapshot ${meta.data.snapshot}: the recorded checksum does not match its uuid`;
  return meta.data;
}

/** Problems with one snapshot as the server reports it; [] when this server can restore it. */
export async function snapshotProblems(client: Client, repository: string, meta: SnapshotMeta, server: ServerCompat, localPath?: string): Promise<string[]> {
  // The repository's own record first: a server asked about a snapshot it cannot read may fail
  // in ways that say less than "too old".
  const recorded = localPath === undefined ? undefined : (await recordedSnapshotVersions(localPath)).get(meta.snapshot);
  const tooOld = recorded === undefined ? undefined : snapshotTooOldProblem(meta.snapshot, recorded, server);
  if (tooOld) return [tooOld];
  const info = await getSnapshot(client, repository, meta.snapshot);
  if (!info) return [`snapshot ${meta.snapshot} is not in repository ${repository}`];
  const problems: string[] = [];
  if (info.state !== 'SUCCESS') problems.push(`snapshot ${meta.snapshot} is in state ${info.state}, not SUCCESS`);
  const tooNew = snapshotVersionProblem(meta.snapshot, { versionId: info.version_id, version: info.version }, server);
  if (tooNew) problems.push(tooNew);
  const oldByServer = info.version === undefined ? undefined : snapshotTooOldProblem(meta.snapshot, info.version, server);
  if (oldByServer) problems.push(oldByServer);
  if (info.uuid !== meta.uuid) problems.push(`snapshot ${meta.snapshot} has uuid ${info.uuid}, the manifest records ${meta.uuid} (it was re-taken)`);
  const held = new Set(info.indices);
  const missing = meta.indices.filter((i) => !held.has(i));
  if (missing.length > 0) problems.push(`snapshot ${meta.snapshot} lacks indices ${missing.join(', ')}`);
  return problems;
}
