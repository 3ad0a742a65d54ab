/**
 * A content fingerprint of PostgreSQL, independent of the adapter: for each configured database its
 * schemas with owners and grants, tables with owners and grants, every row (ordered by primary key,
 * or by the whole row), and sequence values. `schemas` narrows it to the schemas a restore brings back.
 * Database names are not part of it, so a copy restored under another name compares equal.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Config } from '../../src/config.ts';

const q = (s: string): string => `"${s.replace(/"/g, '""')}"`;

export async function postgresFingerprint(config: Config, schemas?: string[]): Promise<string> {
  const hash = createHash('sha256');
  const p = config.postgres;
  for (const db of config.postgres.databases) {
    const c = new pg.Client({ host: p.host, port: p.port, user: p.user, password: p.password, database: db, connectionTimeoutMillis: 10_000 });
    await c.connect();
    try {
      const wanted = (s: string): boolean => !schemas || schemas.includes(s);
      const ns = await c.query<{ name: string; owner: string; acl: string | null }>(
        `SELECT nspname AS name, pg_get_userbyid(nspowner) AS owner, nspacl::text AS acl FROM pg_namespace
         WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'public') AND nspname NOT LIKE 'pg\\_%' ORDER BY 1`,
      );
      for (const n of ns.rows.filter((r) => wanted(r.name))) hash.update(`schema ${n.name} ${n.owner} ${n.acl}\n`);
      const tables = await c.query<{ schema: string; name: string; kind: string; owner: string; acl: string | null; pk: string | null }>(
        `SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind, pg_get_userbyid(c.relowner) AS owner, c.relacl::text AS acl,
                (SELECT string_agg(quote_ident(a.attname), ',' ORDER BY array_position(i.indkey, a.attnum))
                 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
                 WHERE i.indrelid = c.oid AND i.indisprimary) AS pk
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
         ORDER BY 1, 2`,
      );
      for (const t of tables.rows.filter((r) => wanted(r.schema))) {
        hash.update(`table ${t.schema}.${t.name} ${t.owner} ${t.acl}\n`);
        if (t.kind === 'S') {
          // The value, not log_cnt: that counts values pre-logged in the WAL and is reset by setval.
          const seq = await c.query<{ v: string | null }>('SELECT last_value::text AS v FROM pg_sequences WHERE schemaname = $1 AND sequencename = $2', [t.schema, t.name]);
          hash.update(`value ${seq.rows[0]?.v}\n`);
          continue;
        }
        const order = t.pk ?? '1';
        const rows = await c.query<{ r: string }>(`SELECT t::text AS r FROM ${q(t.schema)}.${q(t.name)} t ORDER BY ${order === '1' ? 't::text' : order}`);
        for (const r of rows.rows) hash.update(`${r.r}\n`);
      }
    } finally {
      await c.end();
    }
  }
  return hash.digest('hex');
}
