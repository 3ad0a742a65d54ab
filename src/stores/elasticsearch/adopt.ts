/**
 * Adoption of a snapshot taken by the OpenCRVS scripts: `snapshot_<label>` in the fs repository.
 * The snapshot info names its indices but not their document counts, so counts stay unknown.
 */
import type { Client } from '@elastic/elasticsearch';
import { StoreError } from '../../errors.ts';
import type { Artifact, StoreContext } from '../types.ts';
import { STORE } from './connection.ts';
import { ensureRepository, getSnapshot, snapshotName, type RepositorySpec } from './snapshots.ts';
import { repositoryFolderProblems, sha256 } from './verify.ts';

export interface AdoptTarget {
  repo: RepositorySpec;
  /** The repository folder as the bot sees it. */
  localPath: string;
  /** ES_INDEX_PATTERNS: a script snapshot holds every index; only these are OpenCRVS data. */
  indexPatterns: string[];
}

/** True when `index` matches one of the patterns (`*` wildcards, as in ES_INDEX_PATTERNS). */
export function matchesPatterns(index: string, patterns: string[]): boolean {
  if (index.startsWith('.')) return false;
  return patterns.some((p) => new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(index));
}

/** The snapshot of `label` as an artifact; [] when the repository holds none. */
export async function adoptSnapshot(client: Client, target: AdoptTarget, label: string, ctx: StoreContext): Promise<Artifact[]> {
  const started = Date.now();
  // No repository folder (or an empty one) means the scripts took no snapshot here.
  if ((await repositoryFolderProblems(target.localPath)).length > 0) return [];
  const snapshot = snapshotName(label);
  await ensureRepository(client, target.repo);
  const info = await getSnapshot(client, target.repo.name, snapshot, ctx.signal);
  if (!info) return [];
  if (info.state !== 'SUCCESS') throw new StoreError(STORE, `snapshot ${snapshot} is in state ${info.state}, not SUCCESS: it cannot be restored`);
  const indices = info.indices.filter((i) => matchesPatterns(i, target.indexPatterns)).sort();
  if (indices.length === 0) {
    throw new StoreError(STORE, `snapshot ${snapshot} holds no index matching ES_INDEX_PATTERNS (${target.indexPatterns.join(', ')})`);
  }
  ctx.progress({ store: STORE, message: `snapshot ${snapshot}: ${indices.length} indices` });
  return [
    {
      store: STORE,
      path: 'elasticsearch',
      kind: 'es-snapshot',
      bytes: 0,
      sha256: sha256(info.uuid),
      counts: {},
      durationMs: Date.now() - started,
      meta: { snapshot, uuid: info.uuid, repository: target.repo.name, indices, countsKnown: false },
    },
  ];
}
