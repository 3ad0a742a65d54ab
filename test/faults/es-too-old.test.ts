/**
 * Issue 11, defect 11: a snapshot too old for the server (two majors older: a 6.x snapshot on 8.x)
 * is refused before anything is deleted. The repository is made honestly by the harness's real
 * Elasticsearch (a real snapshot), then its root index-N — the record of which version wrote each
 * snapshot — is changed to say the snapshot came from a release two majors older, as a repository
 * carried over from such a deployment would.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VerificationError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import { createElasticsearchAdapter } from '../../src/stores/elasticsearch/index.ts';
import type { StoreAdapter, StoreContext } from '../../src/stores/types.ts';
import { testConfig } from '../helpers/env.ts';

const adapters: StoreAdapter[] = [];
const cleanup: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanup) await c().catch(() => undefined);
  await Promise.allSettled(adapters.map((a) => a.close()));
});

async function es(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(new URL(path, url), { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: await res.json().catch(() => undefined) };
}

describe('elasticsearch: a snapshot two majors older than the server', () => {
  it('is reported by verify and refused by restore before any index is deleted', async () => {
    const id = randomBytes(4).toString('hex');
    const index = `fio${id}-records`;
    const config = testConfig({ BACKUP_STORES: 'elasticsearch', ES_REPOSITORY: `fio-old-${id}`, ES_INDEX_PATTERNS: `fio${id}-*` });
    const url = config.elasticsearch.url;
    cleanup.push(() => es(url, 'DELETE', `/${index}`), () => es(url, 'DELETE', `/_snapshot/fio-old-${id}`));
    const server = ((await es(url, 'GET', '/')).json as { version: { number: string } }).version.number;
    const major = Number(server.split('.')[0]);
    const ancient = `${major - 2}.8.23`;

    for (let i = 0; i < 30; i++) await es(url, 'PUT', `/${index}/_doc/r${i}`, { n: i });
    await es(url, 'POST', `/${index}/_refresh`);
    const adapter = createElasticsearchAdapter(config, createLogger('silent'));
    adapters.push(adapter);
    const ctx: StoreContext = { label: `old${id}`, root: config.backupRoot, signal: AbortSignal.timeout(120_000), progress: () => undefined };
    const artifacts = await adapter.backup(ctx);
    expect(await adapter.verify(artifacts, ctx)).toEqual([]);

    // The repository's record of the snapshot: written by `ancient`, as it says.
    const repo = config.elasticsearch.repositoryLocalPath;
    const gen = (await readFile(join(repo, 'index.latest'))).readBigInt64BE(0);
    const file = join(repo, `index-${gen}`);
    const record = JSON.parse(await readFile(file, 'utf8')) as { snapshots: Array<{ name: string; version?: string }> };
    const entry = record.snapshots.find((s) => s.name === `snapshot_old${id}`);
    // (8.11 and later record "8.11.0" here, with the index version beside it.)
    expect(entry?.version, 'the repository records the version of each snapshot').toMatch(new RegExp(`^${major}\\.`));
    if (entry) entry.version = ancient;
    await writeFile(file, JSON.stringify(record));
    expect((await es(url, 'PUT', `/${index}/_doc/after?refresh=true`, { n: 999 })).status).toBe(201);

    const fresh = createElasticsearchAdapter(config, createLogger('silent'));
    adapters.push(fresh);
    const problems = await fresh.verify(artifacts, ctx);
    expect(problems).toEqual([
      expect.stringContaining(`snapshot snapshot_old${id} was taken by Elasticsearch ${ancient}, too old for this server (${server} restores snapshots of ${major - 1}.x and ${major}.x only)`),
    ]);
    const err = await fresh.restore(artifacts, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerificationError);
    expect((err as Error).message).toContain('too old for this server');
    // Nothing deleted: the index is whole, with the document written after the set.
    expect((await es(url, 'GET', `/${index}/_doc/after`)).status).toBe(200);
    expect(((await es(url, 'GET', `/${index}/_count`)).json as { count: number }).count).toBe(31);
  }, 180_000);
});
