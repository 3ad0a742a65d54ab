/**
 * The Elasticsearch store adapter: filesystem snapshots in the repository `ES_REPOSITORY` (as the
 * OpenCRVS scripts do), taken and restored through the snapshot API of a 7.17 or 8.x server.
 */
import type { Config } from '../../config.ts';
import { StoreError, VerificationError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type { Artifact, Counts, StoreAdapter, StoreContext } from '../types.ts';
import { adoptSnapshot } from './adopt.ts';
import { serverCompat } from './compat.ts';
import { STORE, connect, type EsConnection } from './connection.ts';
import { snapshotFigures } from './figures.ts';
import { deleteIndices, docCounts, existingIndices, matchingIndices, waitForRecovery } from './indices.ts';
import { deleteSnapshot, ensureRepository, getSnapshot, snapshotName, startRestore, takeSnapshot } from './snapshots.ts';
import { parseMeta, repositoryFolderProblems, sha256, snapshotProblems, type SnapshotMeta } from './verify.ts';

/** Artifact.path of every snapshot: the shared repository folder below the backup root. */
export const ES_ARTIFACT_PATH = 'elasticsearch';

export interface ElasticsearchAdapterOptions {
  /**
   * When a snapshot of the label already exists: false (default) fails the backup with
   * "snapshot exists"; true deletes it through the API and takes it again (a set being re-made).
   */
  replaceExistingSnapshot?: boolean;
}

export function createElasticsearchAdapter(config: Config, logger: Logger, options: ElasticsearchAdapterOptions = {}): StoreAdapter {
  const es = config.elasticsearch;
  const repo = { name: es.repository, location: es.repositoryLocation };
  let connection: Promise<EsConnection> | undefined;

  /** Connects once; a failed attempt is forgotten so the next call tries again. */
  function ready(): Promise<EsConnection> {
    connection ??= connect(es, config.connectTimeoutMs).catch((err: unknown) => {
      connection = undefined;
      throw err;
    });
    return connection;
  }

  async function countsNow(): Promise<Counts> {
    const { client } = await ready();
    return docCounts(client, await matchingIndices(client, es.indexPatterns));
  }

  async function backup(ctx: StoreContext): Promise<Artifact[]> {
    const started = Date.now();
    const { client } = await ready();
    const snapshot = snapshotName(ctx.label);
    await ensureRepository(client, repo);
    if (await getSnapshot(client, repo.name, snapshot)) {
      if (!options.replaceExistingSnapshot) throw new StoreError(STORE, `snapshot ${snapshot} exists in repository ${repo.name}; a set of label ${ctx.label} was already taken`);
      ctx.progress({ store: STORE, message: `deleting the earlier snapshot ${snapshot} to take it again` });
      await deleteSnapshot(client, repo.name, snapshot);
    }
    const indices = await matchingIndices(client, es.indexPatterns);
    if (indices.length === 0) throw new StoreError(STORE, `no index matches ES_INDEX_PATTERNS (${es.indexPatterns.join(', ')}); nothing to back up`);
    const before = await docCounts(client, indices);
    ctx.progress({ store: STORE, message: `snapshot ${snapshot} of ${indices.length} indices started` });
    const info = await takeSnapshot(client, {
      repository: repo.name,
      snapshot,
      indices,
      timeoutMs: config.storeTimeoutMs,
      signal: ctx.signal,
      onPoll: (state) => ctx.progress({ store: STORE, message: `snapshot ${snapshot}: ${state}` }),
    });
    if (info.state !== 'SUCCESS') {
      const why = info.reason ?? info.failures.map((f) => `${f.index ?? '?'}: ${f.reason ?? 'failed'}`).join('; ');
      // A failed or partial snapshot is no backup; remove it so a retry can use the same name.
      await deleteSnapshot(client, repo.name, snapshot).catch((err: unknown) => logger.warn({ err, snapshot }, 'could not delete a failed snapshot'));
      throw new StoreError(STORE, `snapshot ${snapshot} ended ${info.state}${why ? `: ${why}` : ''}`);
    }
    const missing = indices.filter((i) => !info.indices.includes(i));
    if (missing.length > 0) throw new StoreError(STORE, `snapshot ${snapshot} lacks indices ${missing.join(', ')}`);
    const after = await docCounts(client, indices);
    const countsStable = indices.every((i) => before[i] === after[i]);
    if (!countsStable) logger.warn({ snapshot }, 'documents changed while the snapshot ran; counts are indicative');
    // What an operator reads in the report instead of a size: what this snapshot added, and the repository's total.
    const figures = await snapshotFigures(client, repo.name, snapshot, es.repositoryLocalPath);
    logger.info({ snapshot, uuid: info.uuid, indices: indices.length, ...figures }, 'elasticsearch snapshot taken');
    return [
      {
        store: STORE,
        path: ES_ARTIFACT_PATH,
        kind: 'es-snapshot',
        bytes: 0,
        sha256: sha256(info.uuid),
        counts: before,
        durationMs: Date.now() - started,
        meta: { snapshot, uuid: info.uuid, repository: repo.name, indices, countsStable, ...figures },
      },
    ];
  }

  /** Parsed metas of this store's artifacts plus every problem found (read-only apart from registering the repository). */
  async function inspect(artifacts: Artifact[]): Promise<{ metas: Array<{ artifact: Artifact; meta: SnapshotMeta }>; problems: string[] }> {
    const mine = artifacts.filter((a) => a.store === STORE);
    if (mine.length === 0) return { metas: [], problems: ['the set holds no Elasticsearch snapshot'] };
    const problems: string[] = [];
    const metas: Array<{ artifact: Artifact; meta: SnapshotMeta }> = [];
    for (const a of mine) {
      const meta = parseMeta(a);
      if (typeof meta === 'string') problems.push(meta);
      else metas.push({ artifact: a, meta });
    }
    problems.push(...(await repositoryFolderProblems(es.repositoryLocalPath)));
    const { client, version } = await ready();
    // A fresh node (a restore onto a new server) knows no repository yet: registering one only reads the folder.
    await ensureRepository(client, repo);
    const server = await serverCompat(client, version);
    for (const { meta } of metas) problems.push(...(await snapshotProblems(client, repo.name, meta, server, es.repositoryLocalPath)));
    return { metas, problems };
  }

  async function restore(artifacts: Artifact[], ctx: StoreContext): Promise<Counts> {
    // Verify the whole set before anything is deleted: each snapshot exists, ended SUCCESS, holds
    // every index to restore, and was taken by a version this server can restore.
    const { metas, problems } = await inspect(artifacts);
    if (problems.length > 0) throw new VerificationError(ctx.label, problems);
    const { client } = await ready();
    // The whole pattern set is replaced, not only the snapshot's indices: an index made after the
    // set (ocrvs-99) would otherwise survive the restore, holding records the set does not have.
    const inSet = metas.flatMap((m) => m.meta.indices);
    const present = [...new Set([...(await matchingIndices(client, es.indexPatterns, 'all')), ...(await existingIndices(client, inSet))])].sort();
    ctx.progress({ store: STORE, message: `deleting ${present.length} indices (${es.indexPatterns.join(', ')}), then restoring` });
    await deleteIndices(client, present);
    for (const { meta } of metas) {
      ctx.progress({ store: STORE, message: `restoring ${meta.snapshot} (${meta.indices.length} indices)` });
      await startRestore(client, repo.name, meta.snapshot, meta.indices);
      await waitForRecovery(client, meta.indices, config.storeTimeoutMs, ctx.signal);
      ctx.progress({ store: STORE, message: `restored ${meta.snapshot} (${meta.indices.length} indices)` });
    }
    // Every index of the patterns now, so that anything beside the set's indices shows in the comparison.
    return docCounts(client, [...new Set([...(await matchingIndices(client, es.indexPatterns)), ...inSet])].sort());
  }

  return {
    name: STORE,
    async version() {
      return (await ready()).version;
    },
    backup,
    async verify(artifacts) {
      return (await inspect(artifacts)).problems;
    },
    counts: countsNow,
    restore,
    // Counts of a snapshot taken under writes are indicative only: they bind nobody (restoreSet
    // compares what this returns, and nothing else does).
    expectedAfterRestore(artifacts) {
      const out: Counts = {};
      for (const a of artifacts.filter((x) => x.store === STORE)) {
        const meta = parseMeta(a);
        if (typeof meta !== 'string' && meta.countsStable) Object.assign(out, a.counts);
      }
      return out;
    },
    async adopt(label, ctx) {
      return adoptSnapshot((await ready()).client, { repo, localPath: es.repositoryLocalPath, indexPatterns: es.indexPatterns }, label, ctx);
    },
    async prune(artifacts) {
      const snapshots = artifacts.filter((a) => a.store === STORE && a.kind === 'es-snapshot').map(parseMeta);
      const names = snapshots.flatMap((m) => (typeof m === 'string' ? [] : [m.snapshot]));
      if (names.length === 0) return;
      const { client } = await ready();
      await ensureRepository(client, repo);
      for (const name of names) await deleteSnapshot(client, repo.name, name);
      logger.info({ snapshots: names }, 'elasticsearch snapshots pruned');
    },
    async close() {
      const pending = connection;
      connection = undefined;
      if (!pending) return;
      const conn = await pending.catch(() => undefined);
      await conn?.client.close();
    },
  };
}
