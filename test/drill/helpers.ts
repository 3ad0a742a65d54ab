/** Shared set-up of the drill tests: a private MongoDB database pair, backup root, lock prefix and history. */
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { Redis } from 'ioredis';
import type { BackupDeps } from '../../src/backup/deps.ts';
import { runBackup } from '../../src/backup/run-backup.ts';
import type { Config } from '../../src/config.ts';
import { createContentHash } from '../../src/drill/fingerprint.ts';
import { runDrill } from '../../src/drill/run-drill.ts';
import { createDrillTargets } from '../../src/drill/targets/index.ts';
import type { DrillResult } from '../../src/drill/types.ts';
import { createHistoryStore, type HistoryStore } from '../../src/history/history.ts';
import { createLogger } from '../../src/log.ts';
import { createAdapters } from '../../src/stores/registry.ts';
import { testConfig } from '../helpers/env.ts';

export interface DrillEnv {
  id: string;
  config: Config;
  dbs: string[];
  redis: Redis;
  lockRedis: Redis;
  history: HistoryStore;
  backup: BackupDeps;
  mongo: MongoClient;
  drill(label?: string): Promise<DrillResult>;
  close(): Promise<void>;
}

export async function makeDrillEnv(overrides: Record<string, string> = {}, dbNames?: (id: string) => string[]): Promise<DrillEnv> {
  const id = randomUUID().slice(0, 8);
  const dbs = dbNames?.(id) ?? [`dra_${id}`, `drb_${id}`];
  const config = testConfig({ BACKUP_STORES: 'mongo', MONGO_DATABASES: dbs.join(','), CONNECT_TIMEOUT_SECONDS: '5', ...overrides });
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3 });
  // Other test files take the real operations lock in the same Redis: a private prefix keeps them apart.
  const lockRedis = new Redis(config.redisUrl, { keyPrefix: `drill-${id}:` });
  const history = createHistoryStore(redis, `drill-${id}`);
  const logger = createLogger('silent');
  const backup: BackupDeps = { config, logger, adapters: createAdapters(config, logger), botVersion: 'test' };
  const mongo = new MongoClient(config.mongo.url, { serverSelectionTimeoutMS: 10_000 });
  await mongo.connect();
  return {
    id,
    config,
    dbs,
    redis,
    lockRedis,
    history,
    backup,
    mongo,
    async drill(label) {
      const targets = createDrillTargets(config);
      try {
        return await runDrill({ backup, redis: lockRedis, history, targets, lockWaitMs: 0 }, { runId: `drill-${randomUUID()}`, requestedBy: 'test', ...(label ? { label } : {}) });
      } finally {
        await Promise.allSettled(targets.map((t) => t.close()));
      }
    },
    async close() {
      for (const db of dbs) {
        await mongo.db(db).dropDatabase().catch(() => undefined);
        await mongo.db(`drill_${db}`).dropDatabase().catch(() => undefined);
      }
      await mongo.close();
      await Promise.allSettled([...backup.adapters.values()].map((a) => a.close()));
      redis.disconnect();
      lockRedis.disconnect();
    },
  };
}

/** Seeds each database with two collections of varied documents. */
export async function seed(env: DrillEnv, n: number): Promise<void> {
  for (const db of env.dbs) {
    const d = env.mongo.db(db);
    await d.collection('Patient').insertMany(Array.from({ length: n }, (_, i) => ({ i, name: `p${i}`, born: new Date(Date.UTC(1990, 0, 1 + i)), tags: [i % 3, 'x'] })));
    await d.collection('Task').insertMany(Array.from({ length: Math.ceil(n / 2) }, (_, i) => ({ i, state: i % 2 ? 'done' : 'open' })));
  }
}

/** Fingerprints of every collection of the live databases (what a user's data is). */
export async function liveFingerprints(env: DrillEnv): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const db of env.dbs) {
    for (const c of await env.mongo.db(db).listCollections().toArray()) {
      const h = createContentHash();
      for await (const doc of env.mongo.db(db).collection(c.name).find({}, { raw: true }) as unknown as AsyncIterable<Uint8Array>) h.add(doc);
      out[`${db}.${c.name}`] = h.digest();
    }
  }
  return out;
}

/** Backs up the live databases into a set; returns its label. */
export async function backupSet(env: DrillEnv, label: string): Promise<string> {
  const out = await runBackup(env.backup, { label, requestedBy: 'test' });
  if (!out.manifest.stores.every((s) => s.ok)) throw new Error(`backup failed: ${JSON.stringify(out.manifest.stores)}`);
  return out.manifest.label;
}

/** Names of the databases on the server that start with `drill_` and belong to this test. */
export async function scratchLeft(env: DrillEnv): Promise<string[]> {
  const { databases } = await env.mongo.db('admin').admin().listDatabases({ nameOnly: true });
  return databases.map((d) => d.name).filter((n) => n.startsWith('drill_') && n.includes(env.id));
}
