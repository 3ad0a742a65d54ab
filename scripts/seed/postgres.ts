/**
 * Seeds PostgreSQL like OpenCRVS v1.9+: database `events` (each of POSTGRES_DATABASES) with schema
 * `app` owned by `events_migrator` — events, actions (jsonb, uuid, timestamptz, an enum), locations,
 * users (bytea, text[]), a sequence, node-pg-migrate's `app.pgmigrations` — used by `events_app`,
 * and schema `analytics` owned by `events_analytics`. Rows are generated on the server from the seed
 * (md5 of seed and row number), so a seed always gives the same data and scale 10 takes seconds.
 * The database is dropped first. Counts are keyed like the adapter's (`<db>.<schema>.<table>`).
 */
import type pg from 'pg';
import type { Config } from '../../src/config.ts';
import { countTables, newPgClient } from '../../src/stores/postgres/index.ts';
import type { SeedCounts, Seeder } from './types.ts';

const ROLES = ['events_migrator', 'events_app', 'events_analytics'];

function client(config: Config, database: string): pg.Client {
  return newPgClient(config, database);
}

function schemaSql(seed: number, scale: number): string {
  const n = (base: number): number => Math.max(1, Math.round(base * scale));
  const h = (expr: string): string => `md5('${seed}:' || ${expr})`;
  return `
SET ROLE events_migrator;
CREATE TYPE app.action_type AS ENUM ('CREATE', 'DECLARE', 'VALIDATE', 'REGISTER', 'PRINT_CERTIFICATE', 'ARCHIVE');
CREATE SEQUENCE app.tracking_id_seq START 1000;
CREATE TABLE app.pgmigrations (id serial PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL);
CREATE TABLE app.locations (
  id uuid PRIMARY KEY, name text NOT NULL, parent_id uuid, location_type text NOT NULL, valid_until timestamptz);
CREATE TABLE app.users (
  id uuid PRIMARY KEY, legacy_id text UNIQUE, name jsonb NOT NULL, roles text[] NOT NULL, signature bytea,
  primary_office_id uuid REFERENCES app.locations(id), created_at timestamptz NOT NULL);
CREATE TABLE app.events (
  id uuid PRIMARY KEY, event_type text NOT NULL, tracking_id text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
CREATE TABLE app.event_actions (
  id uuid PRIMARY KEY, event_id uuid NOT NULL REFERENCES app.events(id), action_type app.action_type NOT NULL,
  status text NOT NULL, declaration jsonb NOT NULL, annotation jsonb, created_by uuid REFERENCES app.users(id),
  created_at_location uuid REFERENCES app.locations(id), created_at timestamptz NOT NULL);
CREATE INDEX event_actions_event_id ON app.event_actions (event_id);
INSERT INTO app.pgmigrations (name, run_on)
  SELECT format('%s_migration-%s', 1700000000000 + i * 1000, i), timestamp '2026-01-01' + i * interval '1 hour' FROM generate_series(1, 24) i;
INSERT INTO app.locations
  SELECT ${h("'loc' || i")}::uuid, 'Location ' || i || ' ' || left(${h("'ln' || i")}, 6),
         CASE WHEN i > 4 THEN ${h("'loc' || (1 + i % 4)")}::uuid END,
         CASE WHEN i <= 4 THEN 'ADMIN_STRUCTURE' WHEN i % 5 = 0 THEN 'CRVS_OFFICE' ELSE 'HEALTH_FACILITY' END,
         CASE WHEN i % 17 = 0 THEN timestamptz '2027-01-01' END
  FROM generate_series(1, ${n(200)}) i;
INSERT INTO app.users
  SELECT ${h("'usr' || i")}::uuid, 'legacy-' || i,
         jsonb_build_object('firstname', 'User' || i, 'surname', left(${h("'sn' || i")}, 8)),
         ARRAY['FIELD_AGENT', CASE WHEN i % 3 = 0 THEN 'LOCAL_REGISTRAR' ELSE 'REGISTRATION_AGENT' END],
         CASE WHEN i % 2 = 0 THEN decode(${h("'sig' || i")} || ${h("'sig2' || i")}, 'hex') END,
         ${h("'loc' || (5 + i % 20)")}::uuid, timestamptz '2026-01-01' + i * interval '1 minute'
  FROM generate_series(1, ${n(50)}) i;
INSERT INTO app.events
  SELECT ${h("'evt' || i")}::uuid, CASE WHEN i % 4 = 0 THEN 'death' ELSE 'birth' END,
         upper(left(${h("'trk' || i")}, 6)) || lpad(i::text, 7, '0'), timestamptz '2026-01-01' + i * interval '37 seconds',
         timestamptz '2026-01-01' + i * interval '41 seconds'
  FROM generate_series(1, ${n(2000)}) i;
INSERT INTO app.event_actions
  SELECT ${h("'act' || e || ':' || a")}::uuid, ${h("'evt' || e")}::uuid,
         (ARRAY['CREATE', 'DECLARE', 'VALIDATE', 'REGISTER']::app.action_type[])[a],
         CASE WHEN a = 4 AND e % 9 = 0 THEN 'Requested' ELSE 'Accepted' END,
         CASE WHEN a = 1 THEN '{}'::jsonb ELSE jsonb_build_object(
           'child.name', jsonb_build_object('firstname', 'Child' || e, 'surname', left(${h("'cs' || e")}, 8)),
           'child.dob', (date '2025-01-01' + (e % 365))::text,
           'informant.relation', CASE WHEN e % 2 = 0 THEN 'MOTHER' ELSE 'FATHER' END) END,
         CASE WHEN a = 2 THEN jsonb_build_object('review.comment', 'ok ' || e) END,
         ${h("'usr' || (1 + (e + a) % " + n(50) + ")")}::uuid, ${h("'loc' || (5 + e % 20)")}::uuid,
         timestamptz '2026-01-01' + e * interval '37 seconds' + a * interval '1 hour'
  FROM generate_series(1, ${n(2000)}) e, generate_series(1, 4) a
  WHERE a <= 2 + e % 3;
SELECT setval('app.tracking_id_seq', 1000 + ${n(2000)});
GRANT USAGE ON SCHEMA app TO events_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA app TO events_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA app TO events_app;
RESET ROLE;
SET ROLE events_analytics;
CREATE TABLE analytics.event_search (event_id uuid PRIMARY KEY, event_type text NOT NULL, summary jsonb NOT NULL);
INSERT INTO analytics.event_search
  SELECT ${h("'evt' || i")}::uuid, CASE WHEN i % 4 = 0 THEN 'death' ELSE 'birth' END, jsonb_build_object('n', i)
  FROM generate_series(1, ${n(2000)}) i;
RESET ROLE;
`;
}

export const seedPostgres: Seeder = async (config, options) => {
  const admin = client(config, 'postgres');
  await admin.connect();
  try {
    for (const role of ROLES) {
      const exists = (await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount === 1;
      // Another seeding may create it at the same moment: "already exists" (42710) is fine.
      if (!exists) await admin.query(`CREATE ROLE ${role} LOGIN`).catch((err: { code?: string }) => {
        if (err.code !== '42710') throw err;
      });
    }
    for (const db of config.postgres.databases) {
      await admin.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
      await admin.query(`CREATE DATABASE "${db}"`);
    }
  } finally {
    await admin.end();
  }
  const counts: SeedCounts = {};
  for (const db of config.postgres.databases) {
    const c = client(config, db);
    await c.connect();
    try {
      await c.query('CREATE SCHEMA app AUTHORIZATION events_migrator; CREATE SCHEMA analytics AUTHORIZATION events_analytics');
      await c.query(schemaSql(options.seed, options.scale));
      Object.assign(counts, await countTables(c, db));
    } finally {
      await c.end();
    }
  }
  return counts;
};
