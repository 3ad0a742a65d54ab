/**
 * Reading a `pg_dump -Fc` archive without a server: its table of contents (`pg_restore -l`) and a
 * full read of its data (`pg_restore --data-only -f -`), counting the rows of every table from the
 * COPY blocks as they stream past. Nothing is held in memory but the current line.
 */
import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

export interface TocSummary {
  /** `dbname` of the archive header. */
  database: string | undefined;
  /** Schema → owner, for every schema the archive creates. */
  schemas: Map<string, string>;
  /** Every `schema.table` that has a TABLE DATA entry. */
  tableData: Set<string>;
  entries: number;
}

/** Parses `pg_restore -l` output. */
export function parseToc(text: string): TocSummary {
  const schemas = new Map<string, string>();
  const tableData = new Set<string>();
  let database: string | undefined;
  let entries = 0;
  for (const line of text.split('\n')) {
    const header = /^;\s+dbname: (.*)$/.exec(line);
    if (header) database = header[1]?.trim();
    if (line.startsWith(';') || line.trim() === '') continue;
    entries += 1;
    const schema = /^\d+; \d+ \d+ SCHEMA - (\S+) (\S+)$/.exec(line);
    if (schema) schemas.set(schema[1] as string, schema[2] as string);
    const data = /^\d+; \d+ \d+ TABLE DATA (\S+) (\S+) \S+$/.exec(line);
    if (data) tableData.add(`${data[1]}.${data[2]}`);
  }
  return { database, schemas, tableData, entries };
}

/** Splits `a."b.c"` into unquoted parts: ['a', 'b.c']. */
export function splitQualified(name: string): string[] {
  const parts: string[] = [];
  let i = 0;
  while (i < name.length) {
    if (name[i] === '"') {
      let out = '';
      i += 1;
      while (i < name.length) {
        if (name[i] === '"' && name[i + 1] === '"') {
          out += '"';
          i += 2;
        } else if (name[i] === '"') {
          i += 1;
          break;
        } else {
          out += name[i];
          i += 1;
        }
      }
      parts.push(out);
    } else {
      const end = name.indexOf('.', i);
      parts.push(name.slice(i, end < 0 ? name.length : end));
      i = end < 0 ? name.length : end;
    }
    if (name[i] === '.') i += 1;
  }
  return parts;
}

/** The `schema.table` of a `COPY <name> (cols) FROM stdin;` line, or undefined. */
export function copyTarget(line: string): string | undefined {
  if (!line.startsWith('COPY ') || !line.endsWith(' FROM stdin;')) return undefined;
  const body = line.slice(5, -' FROM stdin;'.length);
  // The name ends at the column list, which starts with " (" outside quotes.
  let inQuote = false;
  let end = body.length;
  for (let i = 0; i < body.length; i += 1) {
    if (body[i] === '"') inQuote = !inQuote;
    else if (!inQuote && body[i] === ' ') {
      end = i;
      break;
    }
  }
  const parts = splitQualified(body.slice(0, end));
  return parts.length === 2 ? `${parts[0]}.${parts[1]}` : undefined;
}

/**
 * A Writable for `pg_restore --data-only -f -` output: rows per `schema.table`, counted between a
 * COPY line and its `\.` terminator (COPY's text format escapes newlines inside values, so a row is
 * one line).
 */
export class CopyRowCounter extends Writable {
  readonly rows = new Map<string, number>();
  private partial = '';
  private readonly decoder = new StringDecoder('utf8');
  private current: string | undefined;
  private unterminated = false;

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    const text = this.partial + this.decoder.write(chunk);
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.line(line);
    done();
  }

  override _final(done: (err?: Error | null) => void): void {
    this.partial += this.decoder.end();
    if (this.partial !== '') this.line(this.partial);
    this.partial = '';
    if (this.current !== undefined) this.unterminated = true;
    done();
  }

  private line(line: string): void {
    if (this.current !== undefined) {
      if (line === '\\.') this.current = undefined;
      else this.rows.set(this.current, (this.rows.get(this.current) ?? 0) + 1);
      return;
    }
    const target = copyTarget(line);
    if (target !== undefined) {
      this.current = target;
      this.rows.set(target, this.rows.get(target) ?? 0);
    }
  }

  /** True when the stream ended inside a COPY block (a truncated archive). */
  get truncated(): boolean {
    return this.unterminated;
  }
}
