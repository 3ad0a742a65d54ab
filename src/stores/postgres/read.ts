/** Reading a set's PostgreSQL files through the tools: the table of contents and a full data read. */
import { createReadStream } from 'node:fs';
import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { sha256File } from '../../backup/checksum.ts';
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
  // Both passes at once (two processes, two cores); the data pass is the long one.
  const reading = readRows(conn, file, opts);
  reading.catch(() => undefined);
  let toc: TocSummary | undefined;
  try {
    toc = await readToc(conn, file, opts);
  } catch (err) {
    await reading.catch(() => undefined);
    return { toc, rows: {}, problems: [`${expect.path}: not a readable pg_dump archive (${(err as Error).message.slice(0, 300)})`] };
  }
  if (expect.database && toc.database && toc.database !== expect.database) {
    problems.push(`${expect.path}: is a dump of database ${toc.database}, not of ${expect.database}`);
  }
  const db = expect.database ?? toc.database ?? '';
  const rows: Record<string, number> = {};
  try {
    const read = await reading;
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

/**
 * The check of an archive whose rows were all read back while it was written (meta `rowsVerified`):
 * its table of contents must list the data of every counted table; the bytes are tied to the ones
 * read then by the sha256 (checked by the caller before verify, and here with `checkSha256`).
 */
export async function quickCheck(
  conn: PgConnection,
  file: string,
  expect: { path: string; database: string | undefined; counts: Record<string, number>; sha256?: string },
  opts: ReadOptions,
): Promise<{ toc: TocSummary | undefined; problems: string[] }> {
  const problems: string[] = [];
  const hashing = expect.sha256 ? sha256File(file) : undefined;
  hashing?.catch(() => undefined);
  let toc: TocSummary | undefined;
  try {
    toc = await readToc(conn, file, opts);
  } catch (err) {
    problems.push(`${expect.path}: not a readable pg_dump archive (${(err as Error).message.slice(0, 300)})`);
  }
  if (toc) {
    if (expect.database && toc.database && toc.database !== expect.database) problems.push(`${expect.path}: is a dump of database ${toc.database}, not of ${expect.database}`);
    const db = expect.database ?? toc.database ?? '';
    for (const key of Object.keys(expect.counts)) {
      if (!toc.tableData.has(key.slice(db.length + 1))) problems.push(`${expect.path}: ${key} is in the manifest but its data is not in the archive`);
    }
  }
  if (hashing) {
    const got = await hashing.then((h) => h.sha256, () => 'unreadable');
    if (got !== expect.sha256) problems.push(`${expect.path}: its sha256 differs from the manifest's`);
  }
  return { toc, problems };
}
