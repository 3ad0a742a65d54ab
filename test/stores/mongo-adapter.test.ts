/**
 * The MongoDB adapter on the real local server (FerretDB or mongod): seed → backup → verify →
 * damage the data → restore → every document and index equal to the seeded state; a damaged
 * archive is refused before anything is touched; an unreachable server fails fast and clearly.
 */
import { statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { BSON, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { StoreError, VerificationError } from '../../src/errors.ts';
import { freePort } from '../../scripts/services/util.ts';
import { createMongoAdapter } from '../../src/stores/mongo/index.ts';
import type { Artifact, StoreAdapter, StoreContext } from '../../src/stores/types.ts';
import { seedMongo } from '../../scripts/seed/mongo.ts';
import { testConfig } from '../helpers/env.ts';

function context(config: Config, label: string): StoreContext {
  return { label, root: config.backupRoot, signal: AbortSignal.timeout(300_000), progress: () => undefined };
}

/** Everything a user would compare: collections, their indexes and every document, per database. */
async function snapshot(config: Config): Promise<Record<string, { options: string; indexes: string[]; docs: string[] }>> {
  const client = new MongoClient(config.mongo.url, { serverSelectionTimeoutMS: 10_000 });
  const out: Record<string, { options: string; indexes: string[]; docs: string[] }> = {};
  try {
    for (const dbName of config.mongo.databases) {
      const db = client.db(dbName);
      for (const { name, options } of await db.listCollections({}, { nameOnly: false }).toArray()) {
        if (name.startsWith('system.')) continue;
        const indexes = (await db.collection(name).listIndexes().toArray())
          .map((i) => JSON.stringify({ name: i['name'], key: i['key'], unique: i['unique'] ?? false }))
          .sort();
        const docs: string[] = [];
        for await (const d of db.collection(name).find({}, { promoteValues: false, bsonRegExp: true }).sort({ _id: 1 })) {
          docs.push(BSON.EJSON.stringify(d, { relaxed: false }));
        }
        out[`${dbName}.${name}`] = { options: JSON.stringify(options ?? {}), indexes, docs };
      }
    }
  } finally {
    await client.close();
  }
  return out;
}

/** A user's mistakes: deleted and changed records, a dropped collection and index, a stray collection. */
async function damage(config: Config): Promise<void> {
  const client = new MongoClient(config.mongo.url, { serverSelectionTimeoutMS: 10_000 });
  try {
    const hearth = client.db('hearth-dev');
    await hearth.collection('Patient').deleteMany({ gender: 'female' });
    await hearth.collection('Task').updateMany({}, { $set: { status: 'cancelled' } });
    await hearth.collection('Observation').drop();
    await hearth.collection('Composition').dropIndex('identifier.value_1');
    await client.db('user-mgnt').collection('users').insertOne({ username: 'intruder' });
    await client.db('events').collection('stray').insertOne({ x: 1 });
  } finally {
    await client.close();
  }
}

describe('mongo adapter', () => {
  let config: Config;
  let adapter: StoreAdapter;
  let seeded: Record<string, number>;
  let artifacts: Artifact[];

  beforeAll(async () => {
    config = testConfig({ BACKUP_STORES: 'mongo' });
    adapter = createMongoAdapter(config);
    seeded = await seedMongo(config, { scale: 1, seed: 11 });
  });
  afterAll(async () => {
    await adapter?.close();
  });

  it('reports the server version', async () => {
    expect(await adapter.version()).toMatch(/^(MongoDB \d|FerretDB \d)/);
  });

  it('backs up every configured database into a gzipped archive with checksums and counts', async () => {
    artifacts = await adapter.backup(context(config, '2026-11-26'));
    expect(artifacts.map((a) => a.path)).toEqual(config.mongo.databases.map((db) => `mongo/${db}-2026-11-26.gz`));
    for (const a of artifacts) {
      expect(a).toMatchObject({ store: 'mongo', kind: 'file' });
      expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(statSync(join(config.backupRoot, a.path)).size).toBe(a.bytes);
    }
    const counts = Object.assign({}, ...artifacts.map((a) => a.counts)) as Record<string, number>;
    expect(counts).toEqual(seeded);
    expect(await adapter.counts()).toEqual(seeded);
    expect(await adapter.verify(artifacts, context(config, '2026-11-26'))).toEqual([]);
  });

  it('restores every document and index after data was deleted, changed and added', async () => {
    const before = await snapshot(config);
    await damage(config);
    expect(await snapshot(config)).not.toEqual(before);

    const restored = await adapter.restore(artifacts, context(config, '2026-11-26'));
    expect(restored).toEqual(seeded);
    expect(await snapshot(config)).toEqual(before);
  });

  it('refuses to restore a truncated archive before touching any data', async () => {
    const label = 'truncated';
    const set = await adapter.backup(context(config, label));
    const victim = set.find((a) => a.path.includes('user-mgnt')) as Artifact;
    truncateSync(join(config.backupRoot, victim.path), Math.floor(victim.bytes / 2));
    await damage(config);
    const damaged = await snapshot(config);

    const failure = await adapter.restore(set, context(config, label)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(VerificationError);
    expect((failure as VerificationError).problems.join('\n')).toMatch(/user-mgnt-truncated\.gz: .*truncated/);
    expect(await snapshot(config)).toEqual(damaged);
    expect(await adapter.verify(set, context(config, label))).not.toEqual([]);
  });

  it('fails, naming it, a configured database the server does not have (never a silently empty file)', async () => {
    const cfg = testConfig({ BACKUP_STORES: 'mongo', MONGO_DATABASES: 'metrics,not-created-yet', BACKUP_ROOT: config.backupRoot });
    const a = createMongoAdapter(cfg);
    try {
      const err = await a.backup(context(cfg, 'empty-db')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as Error).message).toMatch(/no database "not-created-yet" \(MONGO_DATABASES/);
    } finally {
      await a.close();
    }
  });

  it('keeps BSON types through backup and restore', async () => {
    const cfg = testConfig({ BACKUP_STORES: 'mongo', MONGO_DATABASES: 'crvs-types', BACKUP_ROOT: config.backupRoot });
    const client = new MongoClient(cfg.mongo.url);
    const a = createMongoAdapter(cfg);
    try {
      const coll = client.db('crvs-types').collection('t');
      await client.db('crvs-types').dropDatabase();
      // The types FerretDB stores faithfully (see the report for those it does not); mongod keeps them all.
      await coll.insertOne({
        _id: new BSON.ObjectId('65a1b2c3d4e5f60718293a4b'),
        double: new BSON.Double(2.5), int32: new BSON.Int32(7), int64: BSON.Long.fromString('9007199254740993'),
        binary: new BSON.Binary(Buffer.from([0, 255]), 0), uuid: new BSON.UUID('b118c127-8baa-4e9e-afeb-14c8e70a8b97'),
        date: new Date(0), regex: new BSON.BSONRegExp('^a', 'i'), ts: new BSON.Timestamp({ t: 5, i: 1 }),
        nothing: null, yes: true, text: 'héllo ✓', nested: { a: [new BSON.Int32(1), { b: 'c' }] },
      });
      const before = await snapshot(cfg);
      const set = await a.backup(context(cfg, 'types'));
      await coll.deleteMany({});
      await a.restore(set, context(cfg, 'types'));
      expect(await snapshot(cfg)).toEqual(before);
    } finally {
      await client.db('crvs-types').dropDatabase();
      await client.close();
      await a.close();
    }
  });

  it('fails with a clear StoreError within the connect timeout when the server is down', async () => {
    const port = await freePort();
    const down = createMongoAdapter(testConfig({ MONGO_URL: `mongodb://127.0.0.1:${port}`, CONNECT_TIMEOUT_SECONDS: '2' }));
    const started = Date.now();
    const err = await down.version().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).message).toMatch(new RegExp(`mongo: cannot reach MongoDB at mongodb://127.0.0.1:${port} within 2 s`));
    expect(Date.now() - started).toBeLessThan(8_000);
    await down.close();
  });
});
