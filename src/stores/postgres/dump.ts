/**
 * Backs up one PostgreSQL database as OpenCRVS does (`pg_dump -Fc`), consistently: a read-only
 * repeatable-read transaction exports its snapshot, the rows of every table are counted in it, and
 * pg_dump runs on that same snapshot (`--snapshot`), so the counts describe exactly the dump. The
 * archive streams from the tool into `<file>.partial` through a sha256, renamed when complete.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import type pg from 'pg';
import { StoreError } from '../../errors.ts';
import { HashingStream } from '../../backup/checksum.ts';
import type { PgConnection } from './connection.ts';
import { ident } from './connection.ts';

export interface DumpResult {
  bytes: number;
  sha256: string;
  /** Rows per table, keyed `<db>.<schema>.<table>`. */
  counts: Record<string, number>;
  schemas: string[];
  owner: string;
}

/** Ordinary tables (partitions included, their parents not: the rows live in the partitions). */
const TABLES_SQL = `
  SELECT n.nspname AS schema, c.relname AS name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
  ORDER BY 1, 2`;

const SCHEMAS_SQL = `
  SELECT nspname AS name FROM pg_namespace
  WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg_toast%' AND nspname NOT LIKE 'pg_temp%'
  ORDER BY 1`;

/** Rows of every table of the database the client is connected to, keyed `<db>.<schema>.<table>`. */
export async function countTables(c: pg.Client, db: string, schemas?: (schema: string) => boolean): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const tables = await c.query<{ schema: string; name: string }>(TABLES_SQL);
  for (const t of tables.rows) {
    if (schemas && !schemas(t.schema)) continue;
    const r = await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${ident(t.schema)}.${ident(t.name)}`);
    counts[`${db}.${t.schema}.${t.name}`] = Number(r.rows[0]?.n ?? 0);
  }
  return counts;
}

export async function databaseExists(conn: PgConnection, db: string): Promise<boolean> {
  return conn.withClient('postgres', async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [db])).rowCount === 1);
}

export async function dumpDatabase(conn: PgConnection, db: string, file: string, opts: { timeoutMs: number; signal: AbortSignal }): Promise<DumpResult> {
  if (!(await databaseExists(conn, db))) {
    throw new StoreError('postgres', `the server has no database "${db}" (POSTGRES_DATABASES): nothing of it could be backed up`);
  }
  const c = await conn.client(db);
  const tmp = `${file}.partial`;
  try {
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snapshot = (await c.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]?.id;
    if (!snapshot) throw new StoreError('postgres', 'the server exported no snapshot');
    const counts = await countTables(c, db);
    const schemas = (await c.query<{ name: string }>(SCHEMAS_SQL)).rows.map((r) => r.name);
    const owner = (await c.query<{ owner: string }>('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = current_database()')).rows[0]?.owner ?? '';
    const hash = new HashingStream();
    const out = new PassThrough();
    const writing = pipeline(out, hash, createWriteStream(tmp, { mode: 0o600 }), { signal: opts.signal });
    // The transaction stays open until pg_dump has finished: its snapshot lives as long as it does.
    const dumping = conn.tool('pg_dump', ['--format=custom', `--snapshot=${snapshot}`, '--no-password'], { timeoutMs: opts.timeoutMs, signal: opts.signal, stdout: out, database: db }).catch((err: unknown) => {
      out.destroy(err as Error);
      throw err;
    });
    await Promise.all([dumping, writing]);
    await c.query('COMMIT');
    await rename(tmp, file);
    return { bytes: hash.bytes, sha256: hash.digest(), counts, schemas, owner };
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/**
 * The roles of the cluster (`pg_dumpall --roles-only --no-role-passwords`, as OpenCRVS's Kubernetes
 * jobs keep them): no password reaches the set; a restore creates the roles that are missing.
 */
export async function dumpRoles(conn: PgConnection, file: string, opts: { timeoutMs: number; signal: AbortSignal }): Promise<{ bytes: number; sha256: string; roles: string[] }> {
  const tmp = `${file}.partial`;
  const hash = new HashingStream();
  const out = new PassThrough();
  const writing = pipeline(out, hash, createWriteStream(tmp, { mode: 0o600 }), { signal: opts.signal });
  try {
    const dumping = conn.tool('pg_dumpall', ['--roles-only', '--no-role-passwords', '--no-password'], { timeoutMs: opts.timeoutMs, signal: opts.signal, stdout: out }).catch((err: unknown) => {
      out.destroy(err as Error);
      throw err;
    });
    await Promise.all([dumping, writing]);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  const roles = await conn.withClient('postgres', async (c) => (await c.query<{ name: string }>("SELECT rolname AS name FROM pg_roles WHERE rolname NOT LIKE 'pg\\_%' ORDER BY 1")).rows.map((r) => r.name));
  return { bytes: hash.bytes, sha256: hash.digest(), roles };
}
