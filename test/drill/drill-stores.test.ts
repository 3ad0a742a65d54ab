/**
 * The drill of Elasticsearch (snapshot restored under renamed indices) and InfluxDB (influxd restore
 * -newdb) beside MongoDB, on the harness's real servers: passes, live data unchanged, no scratch left.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInfluxHttp } from '../../src/stores/influxdb/http.ts';
import { createElasticsearchTarget } from '../../src/drill/targets/elasticsearch.ts';
import { createInfluxTarget } from '../../src/drill/targets/influxdb.ts';
import { testConfig } from '../helpers/env.ts';
import { backupSet, liveFingerprints, makeDrillEnv, scratchLeft, seed, type DrillEnv } from './helpers.ts';

async function esCall(url: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(new URL(path, url), { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
  if (!res.ok && res.status !== 404) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.status === 404 ? undefined : res.json();
}

describe('restore drill of Elasticsearch and InfluxDB', () => {
  let env: DrillEnv;
  let esIndex: string;
  let influxDb: string;
  const http = (): ReturnType<typeof createInfluxHttp> => createInfluxHttp({ url: env.config.influx.url, username: undefined, password: undefined, connectTimeoutMs: 5000, operationTimeoutMs: 30_000 });

  async function liveFigures(): Promise<unknown> {
    await esCall(env.config.elasticsearch.url, 'POST', `/${esIndex}/_refresh`);
    const es = (await esCall(env.config.elasticsearch.url, 'GET', `/${esIndex}/_count`)) as { count: number };
    const influx = await http().query('SELECT count("v") FROM "births"', { db: influxDb });
    return { mongo: await liveFingerprints(env), es: es.count, influx: influx[0]?.values?.[0]?.[1] };
  }

  beforeAll(async () => {
    const id = Math.random().toString(36).slice(2, 10);
    esIndex = `drilles${id}-1`;
    influxDb = `drillinf_${id}`;
    env = await makeDrillEnv({ BACKUP_STORES: 'mongo,elasticsearch,influxdb', ES_INDEX_PATTERNS: `drilles${id}-*`, ES_REPOSITORY: `drill-${id}`, INFLUX_DATABASE: influxDb, METRICS: 'off' });
    await seed(env, 40);
    const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ index: { _id: `r${i}` } }) + '\n' + JSON.stringify({ name: `record ${i}`, n: i })).join('\n') + '\n';
    await esCall(env.config.elasticsearch.url, 'PUT', `/${esIndex}`, { settings: { number_of_replicas: 0 } });
    const res = await fetch(new URL(`/${esIndex}/_bulk?refresh=true`, env.config.elasticsearch.url), { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: lines });
    expect(res.ok).toBe(true);
    await http().query(`CREATE DATABASE "${influxDb}"`, { write: true });
    const t0 = Date.now() - 3_600_000;
    await http().write(influxDb, Array.from({ length: 25 }, (_, i) => `births,office=o${i % 3} v=${i} ${t0 + i * 1000}`).join('\n'));
  }, 180_000);

  afterAll(async () => {
    await esCall(env.config.elasticsearch.url, 'DELETE', `/${esIndex}`).catch(() => undefined);
    await esCall(env.config.elasticsearch.url, 'DELETE', `/drill-${esIndex}`).catch(() => undefined);
    await http().query(`DROP DATABASE "${influxDb}"`, { write: true }).catch(() => undefined);
    await http().query(`DROP DATABASE "drill_${influxDb}"`, { write: true }).catch(() => undefined);
    await env?.close();
  });

  it('restores every store into scratch, compares, leaves live data and no scratch behind', async () => {
    const label = await backupSet(env, `stores-${env.id}`);
    const before = await liveFigures();
    const r = await env.drill(label);
    expect(r.outcome, JSON.stringify(r)).toBe('ok');
    expect(r.stores.map((s) => [s.store, s.ok, s.records])).toEqual([
      ['mongo', true, 2 * (40 + 20)],
      ['elasticsearch', true, 30],
      ['influxdb', true, 25],
    ]);
    expect(await liveFigures()).toEqual(before);
    expect(await scratchLeft(env)).toEqual([]);
    expect(await esCall(env.config.elasticsearch.url, 'GET', `/drill-${esIndex}`)).toBeUndefined();
    const dbs = (await http().query('SHOW DATABASES'))[0]?.values?.map((v) => String(v[0])) ?? [];
    expect(dbs).toContain(influxDb);
    expect(dbs).not.toContain(`drill_${influxDb}`);
  }, 300_000);
});

describe('scratch-name guard for Elasticsearch and InfluxDB', () => {
  it('refuses scratch indices the live patterns would match, and the metrics database as a scratch', () => {
    expect(() => createElasticsearchTarget(testConfig({ ES_INDEX_PATTERNS: '*' })).checkNames()).toThrow(/"drill-x" is also a configured live name/);
    expect(() => createElasticsearchTarget(testConfig({ ES_INDEX_PATTERNS: 'ocrvs*,drill-*' })).checkNames()).toThrow(/drill-ocrvsx/);
    expect(() => createElasticsearchTarget(testConfig({ ES_INDEX_PATTERNS: 'ocrvs*' })).checkNames()).not.toThrow();
    expect(() => createInfluxTarget(testConfig({ INFLUX_DATABASE: 'x', METRICS_DATABASE: 'drill_x' })).checkNames()).toThrow(/"drill_x" is also a configured live name/);
  });
});

describe('restore drill of PostgreSQL', () => {
  it('restores each database as drill_<db>, compares rows per table, drops it; live rows unchanged', async () => {
    const { pgQuery, uniqueDb } = await import('../helpers/postgres.ts');
    const db = uniqueDb('pgdrill');
    const env = await makeDrillEnv({ BACKUP_STORES: 'postgres', POSTGRES_DATABASES: db, POSTGRES_RESTORE_SCHEMAS: 'all', METRICS: 'off' });
    try {
      await pgQuery(env.config, 'postgres', `CREATE DATABASE "${db}"`);
      await pgQuery(env.config, db, 'CREATE SCHEMA app');
      await pgQuery(env.config, db, 'CREATE TABLE app.event (id serial primary key, name text)');
      await pgQuery(env.config, db, "INSERT INTO app.event (name) SELECT 'e' || g FROM generate_series(1, 35) g");
      const label = await backupSet(env, `pg-${env.id}`);
      const r = await env.drill(label);
      expect(r.outcome, JSON.stringify(r)).toBe('ok');
      expect(r.stores.map((s) => [s.store, s.ok, s.records])).toEqual([['postgres', true, 35]]);
      const dbs = (await pgQuery<{ datname: string }>(env.config, 'postgres', 'SELECT datname FROM pg_database')).map((x) => x.datname);
      expect(dbs).toContain(db);
      expect(dbs).not.toContain(`drill_${db}`);
      expect((await pgQuery<{ n: string }>(env.config, db, 'SELECT count(*) AS n FROM app.event'))[0]?.n).toBe('35');
    } finally {
      await pgQuery(env.config, 'postgres', `DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`).catch(() => undefined);
      await pgQuery(env.config, 'postgres', `DROP DATABASE IF EXISTS "drill_${db}" WITH (FORCE)`).catch(() => undefined);
      await env.close();
    }
  }, 300_000);
});
