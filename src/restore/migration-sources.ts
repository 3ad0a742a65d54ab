/**
 * Where applied migrations are counted, as the profile says: migrate-mongo's `changelog` in each
 * MongoDB database and, when the PostgreSQL store is configured (v1.9+), node-pg-migrate's
 * `app.pgmigrations` in each PostgreSQL database (keyed `<db> (PostgreSQL)`).
 */
import { newPgClient } from '../stores/postgres/index.ts';
import type { Config } from '../config.ts';
import { createChangelogReader, type ChangelogReader } from './migrations.ts';

function pgMigrationCounts(config: Config): (out: Record<string, number>) => Promise<void> {
  return async (out) => {
    for (const db of config.postgres.databases) {
      const c = newPgClient(config, db, config.connectTimeoutMs * 3);
      try {
        await c.connect();
        // Absent until the first migration has run: zero applied, not an error.
        const exists = (await c.query<{ t: string | null }>("SELECT to_regclass('app.pgmigrations')::text AS t")).rows[0]?.t;
        const n = exists ? (await c.query<{ n: string }>('SELECT count(*) AS n FROM app.pgmigrations')).rows[0]?.n : '0';
        out[`${db} (PostgreSQL)`] = Number(n ?? 0);
      } finally {
        await c.end().catch(() => undefined);
      }
    }
  };
}

export function createMigrationReader(config: Config): ChangelogReader {
  const mongo = createChangelogReader(config.mongo.url, config.mongo.databases, config.connectTimeoutMs);
  const postgres = config.stores.includes('postgres') ? pgMigrationCounts(config) : undefined;
  return {
    async counts() {
      const out = await mongo.counts();
      await postgres?.(out);
      return out;
    },
    close: () => mongo.close(),
  };
}
