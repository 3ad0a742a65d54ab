/** Reading a set's PostgreSQL files through the tools: the table of contents and a full data read. */
import { createReadStream } from 'node:fs';
import type { PgConnection } from './connection.ts';
import { CopyRowCounter, parseToc, type TocSummary } from './toc.ts';

export interface ReadOptions {
  timeoutMs: number;
  signal: AbortSignal;
}

/** `pg_restore -l` of an archive file (fed on stdin, so the tools may run on another host). */
export async function readToc(conn: PgConnection, file: string, opts: ReadOptions): Promise<TocSummary> {
  const r = await conn.tool('pg_restore', ['--list'], { timeoutMs: opts.timeoutMs, signal: opts.signal, stdin: createReadStream(file) });
  return parseToc(r.stdout);
}

/** Reads every byte of the archive's data (`pg_restore --data-only -f -`); rows per `schema.table`. */
export async function readRows(conn: PgConnection, file: string, opts: ReadOptions): Promise<{ rows: Map<string, number>; truncated: boolean }> {
  const counter = new CopyRowCounter();
  await conn.tool('pg_restore', ['--data-only', '--file=-'], { timeoutMs: opts.timeoutMs, signal: opts.signal, stdin: createReadStream(file), stdout: counter });
  return { rows: counter.rows, truncated: counter.truncated };
}

/** Problems of one database archive: readable TOC of the right database, every row read, counts as recorded. */
export async function checkDump(
  conn: PgConnection,
  file: string,
  expect: { path: string; database: string | undefined; counts: Record<string, number> | undefined },
  opts: ReadOptions,
): Promise<{ toc: TocSummary | undefined; rows: Record<string, number>; problems: string[] }> {
  const problems: string[] = [];
  let toc: TocSummary | undefined;
  try {
    toc = await readToc(conn, file, opts);
  } catch (err) {
    return { toc, rows: {}, problems: [`${expect.path}: not a readable pg_dump archive (${(err as Error).message.slice(0, 300)})`] };
  }
  if (expect.database && toc.database && toc.database !== expect.database) {
    problems.push(`${expect.path}: is a dump of database ${toc.database}, not of ${expect.database}`);
  }
  const db = expect.database ?? toc.database ?? '';
  const rows: Record<string, number> = {};
  try {
    const read = await readRows(conn, file, opts);
    if (read.truncated) problems.push(`${expect.path}: the archive ends inside a table's data`);
    for (const [table, n] of read.rows) rows[`${db}.${table}`] = n;
  } catch (err) {
    problems.push(`${expect.path}: its data cannot be read in full (${(err as Error).message.slice(0, 300)})`);
    return { toc, rows, problems };
  }
  for (const table of toc.tableData) {
    if (!(`${db}.${table}` in rows)) problems.push(`${expect.path}: the data of ${table} is listed but was not read`);
  }
  if (expect.counts) {
    for (const [key, want] of Object.entries(expect.counts)) {
      const got = rows[key];
      if (got === undefined) problems.push(`${expect.path}: ${key} is in the manifest but not in the archive`);
      else if (got !== want) problems.push(`${expect.path}: ${key} has ${got} rows, the manifest ${want}`);
    }
    for (const key of Object.keys(rows)) if (!(key in expect.counts)) problems.push(`${expect.path}: ${key} is in the archive but not in the manifest`);
  }
  return { toc, rows, problems };
}
