/**
 * Elasticsearch scratch target: each snapshot of the set is restored with its indices renamed
 * (`rename_pattern` `(.+)` → `drill-$1`, aliases left out) beside the live ones, every shard is
 * waited for (bounded), documents are counted and compared with the set's counts where the set
 * says they were stable while the snapshot ran, and the scratch indices are deleted.
 */
import type { Config } from '../../config.ts';
import { userMessage } from '../../errors.ts';
import { connect, type EsConnection } from '../../stores/elasticsearch/connection.ts';
import { deleteIndices, docCounts, existingIndices, matchingIndices, waitForRecovery } from '../../stores/elasticsearch/indices.ts';
import { ensureRepository, startRestore } from '../../stores/elasticsearch/snapshots.ts';
import type { Artifact } from '../../stores/types.ts';
import { firstDifference } from '../fingerprint.ts';
import { SCRATCH_PREFIX, ScratchNameError } from '../scratch-names.ts';
import type { DrillContext, DrillTarget } from '../types.ts';

function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

export function createElasticsearchTarget(config: Config): DrillTarget {
  const es = config.elasticsearch;
  const livePatterns = es.indexPatterns.map(wildcard);
  const isLive = (index: string): boolean => livePatterns.some((re) => re.test(index));
  const scratchOf = (index: string): string => {
    const name = `${SCRATCH_PREFIX.elasticsearch}${index}`;
    // A scratch index the live patterns would match would be counted, backed up and deleted as live data.
    if (isLive(name)) throw new ScratchNameError('elasticsearch', name);
    return name;
  };
  let conn: Promise<EsConnection> | undefined;
  const ready = (): Promise<EsConnection> => (conn ??= connect(es, config.connectTimeoutMs));
  return {
    store: 'elasticsearch',
    checkNames() {
      // Every index the patterns stand for starts with their fixed part: its scratch name must fall outside them.
      for (const p of es.indexPatterns) scratchOf(p.replace(/\*/g, 'x'));
    },
    neededBytes(artifacts, factor) {
      return artifacts.reduce((n, a) => n + Number(a.meta?.['addedBytes'] ?? 0), 0) * factor;
    },
    space: async () => undefined,
    async removeLeftovers() {
      const { client } = await ready();
      const found = await matchingIndices(client, [`${SCRATCH_PREFIX.elasticsearch}*`], 'all');
      const mine = found.filter((i) => !isLive(i) && isLive(i.slice(SCRATCH_PREFIX.elasticsearch.length)));
      await deleteIndices(client, mine);
      return mine.map((i) => `elasticsearch ${i}`);
    },
    async drill(artifacts: Artifact[], ctx: DrillContext) {
      const { client } = await ready();
      let records = 0;
      for (const a of artifacts) {
        const snapshot = a.meta?.['snapshot'];
        const indices = a.meta?.['indices'];
        const repository = typeof a.meta?.['repository'] === 'string' ? a.meta['repository'] : es.repository;
        if (typeof snapshot !== 'string' || !Array.isArray(indices)) return { ok: false, records, bytes: 0, compared: 'counts' as const, difference: `${a.path}: the manifest does not name the snapshot and its indices` };
        const scratch = indices.map(scratchOf);
        try {
          await deleteIndices(client, await existingIndices(client, scratch));
          await ensureRepository(client, { name: repository, location: es.repositoryLocation });
          await startRestore(client, repository, snapshot, indices, { pattern: '(.+)', replacement: `${SCRATCH_PREFIX.elasticsearch}$1` });
          await waitForRecovery(client, scratch, config.storeTimeoutMs, ctx.signal);
          const counted = await docCounts(client, scratch);
          const found: Record<string, string> = {};
          const want: Record<string, string> = {};
          for (const index of indices) {
            found[index] = `${counted[scratchOf(index)] ?? 0}:`;
            want[index] = `${a.counts[index] ?? 0}:`;
            records += counted[scratchOf(index)] ?? 0;
          }
          // Counts taken while documents were written bind nobody (the adapter says so): then only presence is checked.
          const binding = a.meta?.['countsStable'] !== false;
          const diff = binding ? firstDifference(want, found) : undefined;
          if (diff) return { ok: false, records, bytes: 0, compared: 'counts' as const, difference: diff };
        } catch (err) {
          if (ctx.signal.aborted) throw err;
          return { ok: false, records, bytes: 0, compared: 'counts' as const, difference: userMessage(err) };
        } finally {
          await deleteIndices(client, await existingIndices(client, scratch).catch(() => scratch)).catch(() => undefined);
        }
      }
      return { ok: true, records, bytes: 0, compared: 'counts' as const };
    },
    async close() {
      const c = conn;
      conn = undefined;
      await c?.then((x) => x.client.close()).catch(() => undefined);
    },
  };
}
