/** The migration watch counts what v1.9+ migrates: Mongo `changelog`s and PostgreSQL's `app.pgmigrations`. */
import { afterAll, describe, expect, it } from 'vitest';
import { createMigrationReader } from '../../src/restore/migration-sources.ts';
import { seedPostgres } from '../../scripts/seed/postgres.ts';
import { testConfig } from '../helpers/env.ts';
import { pgQuery, uniqueDb } from '../helpers/postgres.ts';
import { applyMigrations } from './helpers.ts';

const made: string[] = [];
afterAll(async () => {
  for (const db of made) await pgQuery(testConfig(), 'postgres', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
});

describe('migration sources', () => {
  it('counts node-pg-migrate rows of app.pgmigrations beside the Mongo changelogs, on v1.9', async () => {
    const db = uniqueDb('events');
    made.push(db);
    const config = testConfig({ OPENCRVS_VERSION: 'v1.9', POSTGRES_DATABASES: db, MONGO_DATABASES: 'user-mgnt' });
    await seedPostgres(config, { scale: 1, seed: 1 });
    const reader = createMigrationReader(config);
    try {
      const before = await reader.counts();
      expect(before[`${db} (PostgreSQL)`]).toBe(24);
      await pgQuery(config, db, "INSERT INTO app.pgmigrations (name, run_on) VALUES ('1800000000000_new', now())");
      await applyMigrations(config.mongo.url, 'user-mgnt', 2);
      const after = await reader.counts();
      expect(after[`${db} (PostgreSQL)`]).toBe(25);
      expect(after['user-mgnt']).toBe((before['user-mgnt'] ?? 0) + 2);
    } finally {
      await reader.close();
    }
  });

  it('reads 0 where node-pg-migrate has not run yet, and leaves PostgreSQL out on v1.8', async () => {
    const db = uniqueDb('events');
    made.push(db);
    await pgQuery(testConfig(), 'postgres', `CREATE DATABASE ${db}`);
    const v19 = createMigrationReader(testConfig({ OPENCRVS_VERSION: 'v1.9', POSTGRES_DATABASES: db, MONGO_DATABASES: 'user-mgnt' }));
    const v18 = createMigrationReader(testConfig({ OPENCRVS_VERSION: 'v1.8', POSTGRES_DATABASES: db, MONGO_DATABASES: 'user-mgnt' }));
    try {
      expect((await v19.counts())[`${db} (PostgreSQL)`]).toBe(0);
      expect(Object.keys(await v18.counts())).toEqual(['user-mgnt']);
    } finally {
      await v19.close();
      await v18.close();
    }
  });
});
