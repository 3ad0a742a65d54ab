/**
 * A content fingerprint of each store, independent of our adapters, so the contract suite can
 * assert "everything equal to the seeded state": documents and indexes, objects with metadata,
 * points, Elasticsearch documents.
 */
import { createHash } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { Client as MinioClient } from 'minio';
import type { Config } from '../../src/config.ts';
import type { StoreName } from '../../src/stores/types.ts';
import { postgresFingerprint } from './pg-fingerprint.ts';
import { foldersFingerprint } from './folders-fingerprint.ts';

function h(): ReturnType<typeof createHash> {
  return createHash('sha256');
}

function stable(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)));
    }
    return v;
  });
}

async function mongo(config: Config): Promise<string> {
  const client = new MongoClient(config.mongo.url, { serverSelectionTimeoutMS: 10_000 });
  await client.connect();
  const hash = h();
  try {
    for (const dbName of config.mongo.databases) {
      const db = client.db(dbName);
      const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).filter((n) => !n.startsWith('system.')).sort();
      for (const name of names) {
        hash.update(`${dbName}.${name}\n`);
        const indexes = (await db.collection(name).listIndexes().toArray()).map((i) => stable({ key: i['key'], name: i['name'], unique: i['unique'] ?? false })).sort();
        hash.update(indexes.join('\n'));
        for await (const doc of db.collection(name).find({}).sort({ _id: 1 })) hash.update(stable(doc));
      }
    }
  } finally {
    await client.close();
  }
  return hash.digest('hex');
}

async function elasticsearch(config: Config): Promise<string> {
  const hash = h();
  const base = config.elasticsearch.url.replace(/\/$/, '');
  const indices = (await (await fetch(`${base}/_cat/indices/${config.elasticsearch.indexPatterns.join(',')}?format=json&h=index&expand_wildcards=open`)).json()) as Array<{ index: string }>;
  for (const { index } of indices.sort((a, b) => a.index.localeCompare(b.index))) {
    await fetch(`${base}/${index}/_refresh`, { method: 'POST' });
    hash.update(`${index}\n`);
    let after: unknown[] | undefined;
    for (;;) {
      const body = { size: 1000, sort: [{ _id: 'asc' }], ...(after ? { search_after: after } : {}) };
      const r = (await (await fetch(`${base}/${index}/_search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as {
        hits: { hits: Array<{ _id: string; _source: unknown; sort: unknown[] }> };
      };
      const hits = r.hits.hits;
      for (const doc of hits) hash.update(`${doc._id} ${stable(doc._source)}\n`);
      if (hits.length < 1000) break;
      after = hits[hits.length - 1]?.sort;
    }
  }
  return hash.digest('hex');
}

async function influxdb(config: Config): Promise<string> {
  const hash = h();
  const base = config.influx.url.replace(/\/$/, '');
  const q = async (query: string): Promise<{ results: Array<{ series?: Array<{ name: string; columns: string[]; values: unknown[][] }> }> }> => {
    const url = `${base}/query?db=${encodeURIComponent(config.influx.database)}&q=${encodeURIComponent(query)}&epoch=ns`;
    return (await (await fetch(url)).json()) as { results: Array<{ series?: Array<{ name: string; columns: string[]; values: unknown[][] }> }> };
  };
  const measurements = (await q('SHOW MEASUREMENTS')).results[0]?.series?.[0]?.values.map((v) => String(v[0])) ?? [];
  for (const m of measurements.sort()) {
    const r = await q(`SELECT * FROM "${m}" GROUP BY *`);
    for (const s of r.results[0]?.series ?? []) hash.update(`${m} ${stable(s)}\n`);
  }
  return hash.digest('hex');
}

async function minio(config: Config): Promise<string> {
  const url = new URL(config.minio.url);
  const client = new MinioClient({ endPoint: url.hostname, port: Number(url.port), useSSL: url.protocol === 'https:', accessKey: config.minio.accessKey, secretKey: config.minio.secretKey });
  const hash = h();
  for (const bucket of config.minio.buckets) {
    if (!(await client.bucketExists(bucket))) {
      hash.update(`${bucket} missing\n`);
      continue;
    }
    const keys: string[] = [];
    for await (const o of client.listObjectsV2(bucket, '', true) as AsyncIterable<{ name?: string }>) if (o.name) keys.push(o.name);
    for (const key of keys.sort()) {
      const stat = await client.statObject(bucket, key);
      const body = h();
      for await (const chunk of await client.getObject(bucket, key)) body.update(chunk as Buffer);
      const meta = Object.fromEntries(Object.entries(stat.metaData).map(([k, v]) => [k.toLowerCase(), String(v)]));
      hash.update(`${bucket}/${key} ${stat.size} ${body.digest('hex')} ${stable(meta)}\n`);
    }
  }
  return hash.digest('hex');
}

export const FINGERPRINTS: Record<StoreName, (config: Config) => Promise<string>> = {
  mongo,
  postgres: (config) => postgresFingerprint(config),
  elasticsearch,
  influxdb,
  minio,
  folders: foldersFingerprint,
};
