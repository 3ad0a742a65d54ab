/**
 * The Elasticsearch adapter against the real node of the harness: snapshots, verification,
 * restore, refusal before any deletion, pruning, and an unreachable server.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { StoreError, VerificationError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import { compatibilityHeaders, createElasticsearchAdapter } from '../../src/stores/elasticsearch/index.ts';
import type { StoreAdapter, StoreContext } from '../../src/stores/types.ts';
import { freePort } from '../../scripts/services/util.ts';
import { seedElasticsearch } from '../../scripts/seed/elasticsearch.ts';
import { testConfig } from '../helpers/env.ts';

const INDICES = ['ocrvs', 'ocrvs-1', 'ocrvs-2'];
const adapters: StoreAdapter[] = [];
afterAll(async () => {
  await Promise.all(adapters.map((a) => a.close()));
});

function adapterFor(config: Config, replaceExistingSnapshot = false): StoreAdapter {
  const a = createElasticsearchAdapter(config, createLogger('silent'), { replaceExistingSnapshot });
  adapters.push(a);
  return a;
}

function ctx(config: Config, label: string): StoreContext {
  return { label, root: config.backupRoot, signal: new AbortController().signal, progress: () => undefined };
}

/** Plain HTTP to the node, independent of the adapter. */
async function es(config: Config, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(new URL(path, config.elasticsearch.url), {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

/** Every document of every seeded index, hashed in id order: equal digests mean equal data. */
async function digest(config: Config): Promise<Record<string, string>> {
  await es(config, 'POST', '/_refresh');
  const out: Record<string, string> = {};
  for (const index of INDICES) {
    const hash = createHash('sha256');
    let after: unknown[] | undefined;
    let seen = 0;
    for (;;) {
      const { status, json } = await es(config, 'POST', `/${index}/_search`, { size: 500, sort: [{ compositionId: 'asc' }], ...(after ? { search_after: after } : {}) });
      if (status === 404) break;
      const hits = (json as { hits: { hits: Array<{ _id: string; _source: unknown; sort: unknown[] }> } }).hits.hits;
      for (const h of hits) hash.update(`${h._id} ${JSON.stringify(h._source)}\n`);
      seen += hits.length;
      if (hits.length < 500) break;
      after = hits[hits.length - 1]?.sort;
    }
    out[index] = summary(seen, hash);
  }
  return out;
}

function summary(seen: number, hash: ReturnType<typeof createHash>): string {
  return seen === 0 ? 'empty-or-missing' : `${seen}:${hash.digest('hex')}`;
}

describe('elasticsearch adapter (real node)', () => {
  it('backs up, verifies and restores exactly the seeded documents after edits and a deleted index', async () => {
    const config = testConfig();
    const adapter = adapterFor(config);
    expect(await adapter.version()).toMatch(/^[78]\.\d+\.\d+/);
    const seeded = await seedElasticsearch(config, { scale: 0.5, seed: 7 });
    expect(Object.keys(seeded).sort()).toEqual(INDICES);
    const before = await digest(config);

    const [artifact, ...rest] = await adapter.backup(ctx(config, '2026-11-26'));
    expect(rest).toEqual([]);
    if (!artifact) throw new Error('no artifact');
    expect(artifact).toMatchObject({ store: 'elasticsearch', kind: 'es-snapshot', path: 'elasticsearch', bytes: 0, counts: seeded });
    expect(artifact.meta?.['snapshot']).toBe('snapshot_2026-11-26');
    expect(artifact.meta?.['indices']).toEqual(INDICES);
    expect(artifact.sha256).toBe(createHash('sha256').update(String(artifact.meta?.['uuid'])).digest('hex'));
    // The repository lives in the backup root's elasticsearch folder, as on an OpenCRVS server.
    expect(readdirSync(join(config.backupRoot, 'elasticsearch')).some((n) => /^index-\d+$/.test(n))).toBe(true);
    expect(await adapter.verify([artifact], ctx(config, '2026-11-26'))).toEqual([]);

    // A bad day: documents deleted and changed, one added, a whole index gone.
    const ids = ((await es(config, 'POST', '/ocrvs/_search', { size: 3, sort: [{ compositionId: 'asc' }] })).json as { hits: { hits: Array<{ _id: string }> } }).hits.hits.map((h) => h._id);
    for (const id of ids) expect((await es(config, 'DELETE', `/ocrvs/_doc/${id}`)).status).toBe(200);
    await es(config, 'POST', '/ocrvs-1/_doc/intruder', { compositionId: 'intruder', type: 'REGISTERED' });
    await es(config, 'DELETE', '/ocrvs-2');
    expect(await digest(config)).not.toEqual(before);

    const restored = await adapter.restore([artifact], ctx(config, '2026-11-26'));
    expect(restored).toEqual(seeded);
    expect(await adapter.counts()).toMatchObject(seeded);
    expect(await digest(config)).toEqual(before);
  });

  it('refuses to restore a snapshot that is gone, before deleting or changing anything', async () => {
    const config = testConfig();
    const adapter = adapterFor(config);
    await seedElasticsearch(config, { scale: 0.2, seed: 11 });
    const [artifact] = await adapter.backup(ctx(config, 'gone'));
    if (!artifact) throw new Error('no artifact');
    // Someone deleted the snapshot behind the bot's back.
    expect((await es(config, 'DELETE', '/_snapshot/ocrvs/snapshot_gone')).status).toBe(200);
    await es(config, 'POST', '/ocrvs/_doc/after-backup?refresh=true', { compositionId: 'after-backup' });
    const now = await digest(config);

    const err = await adapter.restore([artifact], ctx(config, 'gone')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerificationError);
    expect((err as VerificationError).message).toMatch(/snapshot_gone is not in repository ocrvs/);
    // Nothing was deleted: every index still holds what it held.
    expect(await digest(config)).toEqual(now);
  });

  it('will not take the same label twice unless asked to re-make it', async () => {
    const config = testConfig();
    await seedElasticsearch(config, { scale: 0.1, seed: 3 });
    const first = await adapterFor(config).backup(ctx(config, 'twice'));
    await expect(adapterFor(config).backup(ctx(config, 'twice'))).rejects.toThrow(/snapshot snapshot_twice exists/);
    const second = await adapterFor(config, true).backup(ctx(config, 'twice'));
    expect(second[0]?.meta?.['uuid']).not.toBe(first[0]?.meta?.['uuid']);
    // The first set's manifest no longer describes what the repository holds.
    expect((await adapterFor(config).verify(first, ctx(config, 'twice'))).join('\n')).toMatch(/re-taken/);
    expect(await adapterFor(config).verify(second, ctx(config, 'twice'))).toEqual([]);
  });

  it('prunes a snapshot through the API and leaves the others restorable', async () => {
    const config = testConfig();
    const adapter = adapterFor(config);
    await seedElasticsearch(config, { scale: 0.1, seed: 5 });
    const old = await adapter.backup(ctx(config, 'old'));
    const kept = await adapter.backup(ctx(config, 'kept'));
    await adapter.prune?.(old);
    expect((await es(config, 'GET', '/_snapshot/ocrvs/snapshot_old')).status).toBe(404);
    expect((await adapter.verify(old, ctx(config, 'old'))).join('\n')).toMatch(/snapshot_old is not in repository/);
    expect(await adapter.verify(kept, ctx(config, 'kept'))).toEqual([]);
    expect(existsSync(join(config.backupRoot, 'elasticsearch'))).toBe(true);
    // Pruning twice is harmless.
    await adapter.prune?.(old);
  });

  it('backs up a deployment without the old `ocrvs` index (OpenCRVS v1.6+ has only ocrvs-*)', async () => {
    const config = testConfig();
    const adapter = adapterFor(config);
    await seedElasticsearch(config, { scale: 0.1, seed: 6 });
    await es(config, 'DELETE', '/ocrvs');
    const [artifact] = await adapter.backup(ctx(config, 'no-ocrvs'));
    expect(Object.keys(artifact?.counts ?? {}).sort()).toEqual(['ocrvs-1', 'ocrvs-2']);
    expect(await adapter.verify(artifact ? [artifact] : [], ctx(config, 'no-ocrvs'))).toEqual([]);
  });

  it('fails fast with a clear error when Elasticsearch is down', async () => {
    const port = await freePort();
    const config = testConfig({ ES_URL: `http://127.0.0.1:${port}`, CONNECT_TIMEOUT_SECONDS: '2' });
    const adapter = adapterFor(config);
    const started = Date.now();
    const err = await adapter.version().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).message).toMatch(new RegExp(`^elasticsearch: cannot reach http://127\\.0\\.0\\.1:${port}/?: ECONNREFUSED`));
    await expect(adapter.backup(ctx(config, 'down'))).rejects.toBeInstanceOf(StoreError);
    await expect(adapter.counts()).rejects.toBeInstanceOf(StoreError);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('speaks plain JSON to 7.x servers and leaves 8.x headers to the client', () => {
    expect(compatibilityHeaders(7)).toEqual({ accept: 'application/json', 'content-type': 'application/json' });
    expect(compatibilityHeaders(8)).toEqual({});
  });
});
