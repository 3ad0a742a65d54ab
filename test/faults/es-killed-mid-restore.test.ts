/**
 * Issue 11, fault matrix: Elasticsearch is killed (SIGKILL) in the middle of a restore. The restore
 * must stop with a clear error within a bounded time (no hang, no "restored"); the set on disk is
 * untouched by the crash, so once the node is back the same restore brings every index back equal
 * to the set. A private Elasticsearch node started by the harness (killing the shared one would
 * break other tests).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { down, servicesEnv as harnessEnv, status, up } from '../../scripts/services/harness.ts';
import { StoreError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import { createElasticsearchAdapter } from '../../src/stores/elasticsearch/index.ts';
import type { Progress, StoreAdapter, StoreContext } from '../../src/stores/types.ts';
import { testConfig } from '../helpers/env.ts';

const servicesDir = mkdtempSync(join(tmpdir(), 'crvs-es-kill-'));
const adapters: StoreAdapter[] = [];
afterAll(async () => {
  await Promise.allSettled(adapters.map((a) => a.close()));
  await down({ servicesDir });
  rmSync(servicesDir, { recursive: true, force: true });
}, 180_000);

async function es(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(new URL(path, url), { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  return { status: res.status, json: await res.json().catch(() => undefined) };
}

/** The node answers GET / before its shards are recovered: wait (bounded) until the cluster is at least yellow. */
async function recovered(url: string): Promise<void> {
  const res = await fetch(new URL('/_cluster/health?wait_for_status=yellow&timeout=150s', url), { signal: AbortSignal.timeout(160_000) });
  const health = (await res.json()) as { status?: string; timed_out?: boolean };
  if (health.timed_out || health.status === 'red') throw new Error(`elasticsearch did not recover after its restart: ${JSON.stringify(health)}`);
}

async function count(url: string, index: string): Promise<number | undefined> {
  const r = await es(url, 'GET', `/${index}/_count`);
  return r.status === 200 ? (r.json as { count: number }).count : undefined;
}

describe('elasticsearch killed mid-restore', () => {
  it('stops with a clear error, bounded; after the node is back the restore brings the set back whole', async () => {
    await up({ servicesDir, only: ['elasticsearch'], log: () => undefined });
    const env = harnessEnv({ servicesDir });
    const root = join(env['BACKUP_ROOT'] ?? '', 'kill');
    mkdirSync(root, { recursive: true });
    const configFor = (): ReturnType<typeof testConfig> => testConfig({ ...harnessEnv({ servicesDir }), BACKUP_ROOT: root, BACKUP_STORES: 'elasticsearch', ES_INDEX_PATTERNS: 'ocrvs,ocrvs-*', STORE_TIMEOUT_SECONDS: '180' });
    const config = configFor();
    const url = config.elasticsearch.url;
    for (const index of ['ocrvs', 'ocrvs-births', 'ocrvs-deaths']) {
      const body = Array.from({ length: 200 }, (_, i) => `{"index":{"_index":"${index}","_id":"r${i}"}}\n{"n":${i}}\n`).join('');
      const res = await fetch(new URL('/_bulk?refresh=true', url), { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
      expect(res.ok).toBe(true);
    }
    // Unique per attempt: a retried test finds the node's earlier snapshot still there.
    const label = `killed${randomBytes(3).toString('hex')}`;
    const adapter = createElasticsearchAdapter(config, createLogger('silent'));
    adapters.push(adapter);
    const ctx = (progress: (p: Progress) => void): StoreContext => ({ label, root, signal: AbortSignal.timeout(300_000), progress });
    const artifacts = await adapter.backup(ctx(() => undefined));
    await es(url, 'POST', '/ocrvs/_doc/late?refresh=true', { n: 999 });

    /** Restores with a fresh adapter, SIGKILLing the node at the first progress line starting with `at`. */
    const restoreKilledAt = async (at: string): Promise<{ err: unknown; ms: number }> => {
      const a = createElasticsearchAdapter(configFor(), createLogger('silent'));
      adapters.push(a);
      let killed = false;
      const started = Date.now();
      const err = await a
        .restore(artifacts, ctx((p) => {
          if (killed || !p.message.startsWith(at)) return;
          killed = true;
          const pid = status({ servicesDir }).find((s) => s.name === 'elasticsearch')?.pid ?? 0;
          process.kill(pid, 'SIGKILL');
        }))
        .catch((e: unknown) => e);
      expect(killed, `killed at "${at}"`).toBe(true);
      return { err, ms: Date.now() - started };
    };

    // 1. Killed after the checks, as the delete goes out: nothing is lost.
    const beforeDelete = await restoreKilledAt('deleting');
    expect(beforeDelete.err).toBeInstanceOf(StoreError);
    expect((beforeDelete.err as Error).message).toMatch(/^elasticsearch: deleting indices .* failed/);
    await up({ servicesDir, only: ['elasticsearch'], log: () => undefined });
    const url2 = configFor().elasticsearch.url;
    await recovered(url2);
    expect((await es(url2, 'GET', '/ocrvs/_doc/late')).status).toBe(200);
    expect(await count(url2, 'ocrvs-births')).toBe(200);

    // 2. Killed after the indices were deleted, as the snapshot restore starts: a clear failure, never "restored".
    const afterDelete = await restoreKilledAt('restoring');
    expect(afterDelete.err).toBeInstanceOf(StoreError);
    expect((afterDelete.err as Error).message).toMatch(/^elasticsearch: /);

    // 3. The node comes back (new port, same data); the same set restores whole.
    await up({ servicesDir, only: ['elasticsearch'], log: () => undefined });
    const again = configFor();
    await recovered(again.elasticsearch.url);
    const back = createElasticsearchAdapter(again, createLogger('silent'));
    adapters.push(back);
    const counts = await back.restore(artifacts, ctx(() => undefined));
    expect(counts).toEqual({ ocrvs: 200, 'ocrvs-births': 200, 'ocrvs-deaths': 200 });
    expect(await count(again.elasticsearch.url, 'ocrvs')).toBe(200);
    expect((await es(again.elasticsearch.url, 'GET', '/ocrvs/_doc/late')).status).toBe(404);
    if (process.env['CRVS_FAULT_FIGURES']) {
      for (const [what, r] of [['before the delete', beforeDelete], ['after the delete', afterDelete]] as const) {
        process.stdout.write(`es-killed-mid-restore: killed ${what}: failed after ${r.ms} ms: ${(r.err as Error).message}\n`);
      }
    }
  }, 420_000);
});
