/** Seeds every store with a deterministic OpenCRVS-shaped deployment of one version. */
import { newPgClient } from '../../src/stores/postgres/index.ts';
import { MongoClient } from 'mongodb';
import { withProfile, type Config } from '../../src/config.ts';
import { PROFILES, type OpencrvsVersion } from '../../src/profile/profiles.ts';
import type { StoreName } from '../../src/stores/types.ts';
import { seedMongo } from './mongo.ts';
import { seedElasticsearch } from './elasticsearch.ts';
import { seedInfluxdb } from './influxdb.ts';
import { seedMinio } from './minio.ts';
import { seedPostgres } from './postgres.ts';
import { seedFolders } from './folders.ts';
import type { SeedCounts, SeedOptions, Seeder } from './types.ts';

export const SEEDERS: Record<StoreName, Seeder> = {
  mongo: seedMongo,
  postgres: seedPostgres,
  elasticsearch: seedElasticsearch,
  influxdb: seedInfluxdb,
  minio: seedMinio,
  folders: seedFolders,
};

/** Seeds the stores of the configuration (config.stores), or only those named. */
export async function seedAll(config: Config, options: SeedOptions, only?: string[]): Promise<Partial<Record<StoreName, SeedCounts>>> {
  const out: Partial<Record<StoreName, SeedCounts>> = {};
  for (const [name, seeder] of Object.entries(SEEDERS) as Array<[StoreName, Seeder]>) {
    if (only ? !only.includes(name) : !config.stores.includes(name)) continue;
    out[name] = await seeder(config, options);
  }
  return out;
}

/** Every MongoDB database some OpenCRVS version has. */
const KNOWN_MONGO = [...new Set(Object.values(PROFILES).flatMap((p) => p.mongoDatabases))];

/**
 * Makes the servers look like a deployment of `version`: its stores seeded, and what that version
 * does not have removed (v1.8: no PostgreSQL `events`; v2.0: no application-config…), so that
 * OPENCRVS_VERSION=auto detects it. The configuration's explicit lists still win.
 */
export async function seedProfile(config: Config, version: OpencrvsVersion, options: SeedOptions, only?: string[]): Promise<{ config: Config; counts: Partial<Record<StoreName, SeedCounts>> }> {
  const profiled = withProfile(config, { profile: PROFILES[version], source: 'configured', reason: `seed --profile ${version}` });
  if (!only || only.includes('mongo')) await dropMongo(profiled, KNOWN_MONGO.filter((db) => !profiled.mongo.databases.includes(db)));
  if (!profiled.stores.includes('postgres') && (!only || only.includes('postgres'))) await dropPostgres(profiled);
  const counts = await seedAll(profiled, options, only?.filter((s) => profiled.stores.includes(s as StoreName)));
  return { config: profiled, counts };
}

async function dropMongo(config: Config, databases: string[]): Promise<void> {
  if (databases.length === 0) return;
  const client = new MongoClient(config.mongo.url, { serverSelectionTimeoutMS: config.connectTimeoutMs });
  try {
    await client.connect();
    for (const db of databases) await client.db(db).dropDatabase();
  } finally {
    await client.close();
  }
}

/** A v1.8 deployment has no PostgreSQL: its `events` database goes, when a server is there at all. */
async function dropPostgres(config: Config): Promise<void> {
  const p = config.postgres;
  const c = newPgClient(config, 'postgres');
  try {
    await c.connect();
  } catch {
    return;
  }
  try {
    for (const db of p.databases) await c.query(`DROP DATABASE IF EXISTS "${db.replace(/"/g, '""')}" WITH (FORCE)`);
  } finally {
    await c.end();
  }
}
