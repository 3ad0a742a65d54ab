/** Reading a set's PostgreSQL files through the tools: the table of contents and a full data read. */
import { createReadStream } from 'node:fs';
import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
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

/** Collects lines of a SQL stream that a predicate keeps (streamed: only kept lines are held). */
class LineFilter extends Writable {
  readonly kept: string[] = [];
  private partial = '';
  private readonly decoder = new StringDecoder('utf8');
  constructor(private readonly keep: (line: string) => boolean) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    const lines = (this.partial + this.decoder.write(chunk)).split('\n');
    this.partial = lines.pop() ?? '';
    for (const l of lines) if (this.keep(l)) this.kept.push(l);
    done();
  }
  override _final(done: (err?: Error | null) => void): void {
    const last = this.partial + this.decoder.end();
    if (last !== '' && this.keep(last)) this.kept.push(last);
    done();
  }
}

/**
 * The schema-level statements of an archive for these schemas: GRANT/REVOKE … ON SCHEMA and COMMENT
 * ON SCHEMA. `pg_restore --schema=app` restores the objects in the schema but not these (they belong
 * to the schema's own entry), and without the USAGE grant the application role cannot reach its tables.
 */
export async function schemaStatements(conn: PgConnection, file: string, schemas: string[], opts: ReadOptions): Promise<string[]> {
  const names = new Set(schemas.flatMap((s) => [s, `"${s.replace(/"/g, '""')}"`]));
  const filter = new LineFilter((line) => {
    const m = /^(?:GRANT|REVOKE) .* ON SCHEMA (\S+) (?:TO|FROM) .*;$|^COMMENT ON SCHEMA (\S+) IS .*;$/.exec(line);
    return m !== null && names.has((m[1] ?? m[2]) as string);
  });
  await conn.tool('pg_restore', ['--schema-only', '--file=-'], { timeoutMs: opts.timeoutMs, signal: opts.signal, stdin: createReadStream(file), stdout: filter });
  return filter.kept;
}
