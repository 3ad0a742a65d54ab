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
import { CopyRowCounter } from './toc.ts';

export interface DumpResult {
  bytes: number;
  sha256: string;
  /** Rows per table, keyed `<db>.<schema>.<table>`. */
  counts: Record<string, number>;
  schemas: string[];
  owner: string;
  /** Every row was read back from the archive while it was written, and matched the counts. */
  rowsVerified: boolean;
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
  const tables = (await c.query<{ schema: string; name: string }>(TABLES_SQL)).rows.filter((t) => !schemas || schemas(t.schema));
  // One statement for every table: one round trip, whatever the number of tables.
  for (let i = 0; i < tables.length; i += 200) {
    const part = tables.slice(i, i + 200);
    const sql = part.map((t, j) => `SELECT ${j} AS i, count(*) AS n FROM ${ident(t.schema)}.${ident(t.name)}`).join(' UNION ALL ');
    for (const r of (await c.query<{ i: number; n: string }>(sql)).rows) {
      const t = part[r.i];
      if (t) counts[`${db}.${t.schema}.${t.name}`] = Number(r.n);
    }
  }
  return counts;
}

export async function databaseExists(conn: PgConnection, db: string): Promise<boolean> {
  return conn.withClient('postgres', async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [db])).rowCount === 1);
}

export async function dumpDatabase(conn: PgConnection, db: string, file: string, opts: { timeoutMs: number; signal: AbortSignal }): Promise<DumpResult> {
  const c = await conn.client(db).catch(async (err: unknown) => {
    if (!(await databaseExists(conn, db))) throw new StoreError('postgres', `the server has no database "${db}" (POSTGRES_DATABASES): nothing of it could be backed up`);
    throw err;
  });
  const tmp = `${file}.partial`;
  try {
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snapshot = (await c.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]?.id;
    if (!snapshot) throw new StoreError('postgres', 'the server exported no snapshot');
    // One failure stops every part (pg_dump, the file, the check), so none is left blocked on a pipe.
    const ac = new AbortController();
    const signal = AbortSignal.any([ac.signal, opts.signal]);
    const hash = new HashingStream();
    const out = new PassThrough();
    const toFile = new PassThrough();
    const toCheck = new PassThrough();
    out.pipe(toFile);
    out.pipe(toCheck);
    const writing = pipeline(toFile, hash, createWriteStream(tmp, { mode: 0o600 }), { signal });
    // The transaction stays open until pg_dump has finished: its snapshot lives as long as it does.
    const dumping = conn.tool('pg_dump', ['--format=custom', `--snapshot=${snapshot}`, '--no-password'], { timeoutMs: opts.timeoutMs, signal, stdout: out, database: db });
    // The archive is read back as it is written (every row of every table, by pg_restore), so the
    // set's structural check costs no second pass; the file's sha256 later ties the disk to it.
    const counter = new CopyRowCounter();
    const checking = conn.tool('pg_restore', ['--data-only', '--file=-'], { timeoutMs: opts.timeoutMs, signal, stdin: toCheck, stdout: counter });
    // Counted in the exporting transaction while pg_dump reads the same snapshot: the same rows.
    const counting = (async () => ({
      counts: await countTables(c, db),
      schemas: (await c.query<{ name: string }>(SCHEMAS_SQL)).rows.map((r) => r.name),
      owner: (await c.query<{ owner: string }>('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = current_database()')).rows[0]?.owner ?? '',
    }))();
    const parts = [dumping, writing, checking, counting] as const;
    for (const p of parts) {
      p.catch(() => {
        ac.abort();
        for (const s of [out, toFile, toCheck]) s.destroy();
      });
    }
    const settled = await Promise.allSettled(parts);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const { counts, schemas, owner } = await counting;
    const mismatch = Object.entries(counts).filter(([key, n]) => (counter.rows.get(key.slice(db.length + 1)) ?? -1) !== n);
    if (counter.truncated || mismatch.length > 0) {
      const first = mismatch[0];
      throw new StoreError('postgres', `the dump of ${db} does not hold the rows counted in its snapshot${first ? ` (${first[0]}: ${first[1]} counted, ${counter.rows.get(first[0].slice(db.length + 1)) ?? 'none'} in the dump)` : ''}`);
    }
    await c.query('COMMIT');
    await rename(tmp, file);
    return { bytes: hash.bytes, sha256: hash.digest(), counts, schemas, owner, rowsVerified: true };
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
