/**
 * Interoperability with the real MongoDB Database Tools (100.x, from ../shared/tools/mongo-tools or
 * the user's own): the bot's archives restore with `mongorestore --gzip --archive --drop`, and
 * `mongodump --gzip --archive`'s archives verify and restore through the bot — data equal both ways.
 * The server URL reaches the tools in a --config file, never on their command line.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BSON, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { createMongoAdapter, mongoArtifactPath } from '../../src/stores/mongo/index.ts';
import { scanArchive } from '../../src/stores/mongo/archive-scan.ts';
import type { Artifact, StoreAdapter, StoreContext } from '../../src/stores/types.ts';
import { seedMongo } from '../../scripts/seed/mongo.ts';
import { servicesEnv, testConfig } from '../helpers/env.ts';

const execFileP = promisify(execFile);
let config: Config;
let adapter: StoreAdapter;
let toolConfig: string;
let ferret = false;
const tools = { mongodump: '', mongorestore: '' };

beforeAll(async () => {
  const env = servicesEnv();
  tools.mongodump = env['MONGODUMP_BIN'] ?? '';
  tools.mongorestore = env['MONGORESTORE_BIN'] ?? '';
  if (!tools.mongodump || !tools.mongorestore) throw new Error('mongodump/mongorestore are not in the harness (../shared/tools/mongo-tools, PATH or MONGODUMP_BIN): the interop cannot run');
  config = testConfig({ MONGO_DATABASES: 'hearth-dev,user-mgnt,performance' });
  toolConfig = join(mkdtempSync(join(config.backupRoot, 'tools-')), 'tools.yaml');
  writeFileSync(toolConfig, `uri: ${JSON.stringify(config.mongo.url)}\n`, { mode: 0o600 });
  adapter = createMongoAdapter(config);
  ferret = (await adapter.version()).startsWith('FerretDB');
});
afterAll(async () => {
  await adapter?.close();
});

async function tool(bin: string, args: string[]): Promise<void> {
  await execFileP(bin, [`--config=${toolConfig}`, '--quiet', ...args], { timeout: 10 * 60_000, maxBuffer: 16 << 20 });
}

/** Per collection: options, indexes (when compared) and every document in canonical extended JSON. */
async function fingerprint(withIndexes: boolean): Promise<Record<string, string>> {
  const client = new MongoClient(config.mongo.url, { serverSelectionTimeoutMS: 10_000 });
  const out: Record<string, string> = {};
  try {
    for (const dbName of config.mongo.databases) {
      const db = client.db(dbName);
      for (const c of await db.listCollections({}, { nameOnly: false }).toArray()) {
        if (c.name.startsWith('system.')) continue;
        const hash = createHash('sha256');
        hash.update(JSON.stringify(c['options'] ?? {}));
        if (withIndexes) hash.update((await db.collection(c.name).listIndexes().toArray()).map((i) => JSON.stringify({ name: i['name'], key: i['key'], unique: i['unique'] ?? false })).sort().join('\n'));
        for await (const d of db.collection(c.name).find({}, { promoteValues: false, bsonRegExp: true }).sort({ _id: 1 })) hash.update(BSON.EJSON.stringify(d, { relaxed: false }));
        out[`${dbName}.${c.name}`] = hash.digest('hex');
      }
    }
  } finally {
    await client.close();
  }
  return out;
}

const ctx = (label: string): StoreContext => ({ label, root: config.backupRoot, signal: AbortSignal.timeout(10 * 60_000), progress: () => undefined });

describe('real mongo-tools', () => {
  it("the bot's archives restore with mongorestore --gzip --archive --drop: data equal", async () => {
    await seedMongo(config, { scale: 1, seed: 21 });
    // mongorestore sends an "ns" field with each index, which FerretDB refuses: against FerretDB the
    // tool restores documents only, so indexes are compared only on a real mongod.
    const seeded = await fingerprint(!ferret);
    const ours = await adapter.backup(ctx('ours'));
    await seedMongo(config, { scale: 1, seed: 22 });
    expect(await fingerprint(!ferret)).not.toEqual(seeded);
    for (const a of ours) await tool(tools.mongorestore, ['--gzip', `--archive=${join(config.backupRoot, a.path)}`, '--drop', ...(ferret ? ['--noIndexRestore'] : [])]);
    expect(await fingerprint(!ferret)).toEqual(seeded);
  });

  it("mongodump's archives verify and restore through the bot: data and indexes equal", async () => {
    await seedMongo(config, { scale: 1, seed: 23 });
    const dumped = await fingerprint(true);
    const theirs: Artifact[] = [];
    mkdirSync(join(config.backupRoot, 'mongo'), { recursive: true });
    for (const db of config.mongo.databases) {
      const path = mongoArtifactPath(db, 'mongodump');
      await tool(tools.mongodump, [`--db=${db}`, '--gzip', `--archive=${join(config.backupRoot, path)}`]);
      const summary = await scanArchive(join(config.backupRoot, path));
      theirs.push({ store: 'mongo', path, kind: 'file', bytes: 0, sha256: '', counts: summary.counts, durationMs: 0, meta: { database: db } });
    }
    expect(await adapter.verify(theirs, ctx('mongodump'))).toEqual([]);
    await seedMongo(config, { scale: 1, seed: 24 });
    await adapter.restore(theirs, ctx('mongodump'));
    expect(await fingerprint(true)).toEqual(dumped);
  });
});
