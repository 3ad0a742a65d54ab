/** Index-level operations: which indices match, their document counts, waiting for recovery. */
import type { Client } from '@elastic/elasticsearch';
import type { Counts } from '../types.ts';
import { TimeoutError } from '../../errors.ts';
import { call } from './connection.ts';
import { countSchema, healthSchema, recoverySchema, settingsByIndexSchema } from './schemas.ts';

/**
 * Open indices matching the patterns, sorted. A concrete name that does not exist is simply absent
 * (OpenCRVS v1.6+ has no `ocrvs` index, only `ocrvs-*`): _cat/indices would answer 404 for it, so
 * the settings API is asked with ignore_unavailable instead.
 */
export async function matchingIndices(client: Client, patterns: string[], expand: 'open' | 'all' = 'open'): Promise<string[]> {
  if (patterns.length === 0) return [];
  const raw = await call('listing indices', () =>
    client.indices.getSettings({
      index: patterns.join(','),
      name: 'index.uuid',
      ignore_unavailable: true,
      allow_no_indices: true,
      expand_wildcards: expand === 'all' ? ['open', 'closed'] : 'open',
    }),
  );
  return Object.keys(settingsByIndexSchema.parse(raw)).sort();
}

/** Refreshes, then counts documents per index (keys are index names, like Artifact.counts). */
export async function docCounts(client: Client, indices: string[]): Promise<Counts> {
  const counts: Counts = {};
  if (indices.length === 0) return counts;
  await call('refreshing indices', () => client.indices.refresh({ index: indices.join(','), ignore_unavailable: true }));
  for (const index of indices) {
    const raw = await call(`counting documents of ${index}`, () => client.count({ index }));
    counts[index] = countSchema.parse(raw).count;
  }
  return counts;
}

/** Which of `indices` exist now (open or closed), asked one by one: a list request fails on a missing name. */
export async function existingIndices(client: Client, indices: string[]): Promise<string[]> {
  const present: string[] = [];
  for (const index of indices) {
    if (await call(`checking index ${index}`, () => client.indices.exists({ index }))) present.push(index);
  }
  return present;
}

/** Deletes exactly these indices (by name: wildcard deletes are refused by default on 8.x). */
export async function deleteIndices(client: Client, indices: string[]): Promise<void> {
  if (indices.length === 0) return;
  await call(`deleting indices ${indices.join(', ')}`, () => client.indices.delete({ index: indices.join(',') }));
}

/**
 * Waits until every shard of `indices` is allocated (yellow or better) and no recovery is active,
 * polling in short requests so the total wait stays bounded by `timeoutMs`.
 */
export async function waitForRecovery(client: Client, indices: string[], timeoutMs: number, signal: AbortSignal): Promise<void> {
  if (indices.length === 0) return;
  const index = indices.join(',');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal.throwIfAborted();
    const left = deadline - Date.now();
    if (left <= 0) throw new TimeoutError(`Elasticsearch recovery of ${index}`, timeoutMs);
    const waitS = Math.max(1, Math.min(10, Math.floor(left / 1000)));
    const health = healthSchema.parse(
      await call('waiting for index health', () =>
        client.cluster.health({ index, wait_for_status: 'yellow', timeout: `${waitS}s` }, { signal }),
      ),
    );
    if (!health.timed_out && health.status !== 'red') {
      const recovery = recoverySchema.parse(await call('reading recovery state', () => client.indices.recovery({ index, active_only: true }, { signal })));
      const active = Object.values(recovery).some((r) => r.shards.some((s) => s.stage !== 'DONE'));
      if (!active) return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
