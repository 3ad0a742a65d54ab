/**
 * A snapshot taken by a newer Elasticsearch cannot be restored (an 8.x snapshot on 7.17): the
 * adapter must say so in verify and refuse the restore before it deletes any index. A real newer
 * snapshot cannot be made here, so the real node is reached through a small proxy that reports
 * the snapshot as taken by 9.0.0; everything else is the real node's answer.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { VerificationError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import { connect, createElasticsearchAdapter } from '../../src/stores/elasticsearch/index.ts';
import { releaseVersionId, serverCompat, snapshotVersionProblem } from '../../src/stores/elasticsearch/compat.ts';
import type { StoreAdapter, StoreContext } from '../../src/stores/types.ts';
import { seedElasticsearch } from '../../scripts/seed/elasticsearch.ts';
import { testConfig } from '../helpers/env.ts';

const NEWER = { version_id: 9_000_000, version: '9.0.0' };

function readAll(res: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', reject);
  });
}

/** Forwards everything to `target`; answers of GET _snapshot/<repo>/<name> say the snapshot came from 9.0.0. */
function newerSnapshotProxy(target: string): Promise<{ server: Server; url: string }> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const headers = { ...req.headers, host: upstream.host };
    delete headers['accept-encoding'];
    const out = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (up) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (req.method !== 'GET' || !/^\/_snapshot\/[^/]+\/[^/_][^/]*$/.test(path) || up.statusCode !== 200) {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        return;
      }
      void readAll(up).then((body) => {
        const json = JSON.parse(body.toString('utf8')) as { snapshots?: Array<Record<string, unknown>> };
        for (const s of json.snapshots ?? []) Object.assign(s, NEWER);
        const text = Buffer.from(JSON.stringify(json));
        const { 'transfer-encoding': _chunked, ...kept } = up.headers;
        res.writeHead(200, { ...kept, 'content-length': String(text.length) });
        res.end(text);
      });
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      resolve({ server, url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}` });
    });
  });
}

async function es(config: Config, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(new URL(path, config.elasticsearch.url), {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

async function count(config: Config, index: string): Promise<number> {
  return ((await es(config, 'GET', `/${index}/_count`)).json as { count: number }).count;
}

describe('elasticsearch snapshot versions', () => {
  it('compares versions across the change of numbering in 8.11', () => {
    expect(releaseVersionId('7.17.3')).toBe(7_17_03_99);
    expect(releaseVersionId('8.10.4')).toBe(8_10_04_99);
    expect(releaseVersionId('not a version')).toBeUndefined();
    const on717 = { release: '7.17.22', versionId: 7_17_22_99 };
    const on815 = { release: '8.15.0', versionId: 8_512_00_0 };
    // An 8.x snapshot on 7.17: refused, both for an index-version id and an older 8.x release id.
    expect(snapshotVersionProblem('snapshot_a', { versionId: 8_505_00_0, version: '8.14.0' }, on717)).toMatch(
      /snapshot_a was taken by Elasticsearch 8\.14\.0 \(version id 8505000\), newer than this server \(7\.17\.22, restores up to 7\.17\.22\)/,
    );
    expect(snapshotVersionProblem('snapshot_b', { versionId: 8_08_00_99 }, on717)).toMatch(/taken by Elasticsearch 8\.8\.0/);
    // A newer patch of the same minor is newer too.
    expect(snapshotVersionProblem('snapshot_c', { versionId: 7_17_23_99, version: '7.17.23' }, on717)).toBeDefined();
    // Older or equal: restorable.
    expect(snapshotVersionProblem('snapshot_d', { versionId: 7_17_22_99, version: '7.17.22' }, on717)).toBeUndefined();
    expect(snapshotVersionProblem('snapshot_e', { versionId: 7_10_02_99, version: '7.10.2' }, on815)).toBeUndefined();
    expect(snapshotVersionProblem('snapshot_f', { versionId: 8_10_04_99 }, on815)).toBeUndefined();
    expect(snapshotVersionProblem('snapshot_g', { versionId: 8_512_00_0, version: '8.15.0' }, on815)).toBeUndefined();
    expect(snapshotVersionProblem('snapshot_h', { versionId: 9_000_00_0, version: '9.0.0' }, on815)).toMatch(/restores up to index version 8512000/);
    // Only a version string: compared as a release.
    expect(snapshotVersionProblem('snapshot_i', { version: '8.1.0' }, on717)).toBeDefined();
    // Nothing to compare: no refusal on a guess.
    expect(snapshotVersionProblem('snapshot_j', {}, on717)).toBeUndefined();
  });

  it('reads what the real node can restore', async () => {
    const config = testConfig();
    const { client, version } = await connect(config.elasticsearch, 5000);
    try {
      const compat = await serverCompat(client, version);
      expect(compat.release).toBe(version);
      const nodes = ((await es(config, 'GET', '/_nodes/_local?filter_path=nodes.*.index_version')).json as { nodes: Record<string, { index_version?: number }> }).nodes;
      const own = Object.values(nodes)[0]?.index_version ?? releaseVersionId(version);
      expect(compat.versionId).toBe(own);
    } finally {
      await client.close();
    }
  });

  describe('a snapshot reported as taken by a newer version (real node behind a proxy)', () => {
    let proxy: { server: Server; url: string };
    const adapters: StoreAdapter[] = [];
    beforeAll(async () => {
      proxy = await newerSnapshotProxy(testConfig().elasticsearch.url);
    });
    afterAll(async () => {
      await Promise.all(adapters.map((a) => a.close()));
      proxy.server.closeAllConnections();
      await new Promise((r) => proxy.server.close(r));
    });

    function adapterFor(config: Config): StoreAdapter {
      const a = createElasticsearchAdapter(config, createLogger('silent'));
      adapters.push(a);
      return a;
    }

    it('is reported by verify and refused by restore before any index is deleted', async () => {
      const config = testConfig();
      const ctx: StoreContext = { label: 'from-newer', root: config.backupRoot, signal: new AbortController().signal, progress: () => undefined };
      const seeded = await seedElasticsearch(config, { scale: 0.2, seed: 13 });
      const artifacts = await adapterFor(config).backup(ctx);
      // Straight to the node, the same snapshot is fine.
      expect(await adapterFor(config).verify(artifacts, ctx)).toEqual([]);
      await es(config, 'POST', '/ocrvs/_doc/after-backup?refresh=true', { compositionId: 'after-backup' });

      const proxied = adapterFor(testConfig({ ES_URL: proxy.url, BACKUP_ROOT: config.backupRoot }));
      const problems = await proxied.verify(artifacts, ctx);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/snapshot snapshot_from-newer was taken by Elasticsearch 9\.0\.0 \(version id 9000000\), newer than this server/);

      const err = await proxied.restore(artifacts, ctx).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VerificationError);
      expect((err as Error).message).toContain('cannot restore it here');
      // Nothing deleted: the document written after the backup is still there, every index whole.
      expect((await es(config, 'GET', '/ocrvs/_doc/after-backup')).status).toBe(200);
      for (const [index, n] of Object.entries(seeded)) expect(await count(config, index)).toBe(index === 'ocrvs' ? n + 1 : n);
    });
  });
});
