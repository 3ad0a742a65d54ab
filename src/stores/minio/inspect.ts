/**
 * Reads a MinIO backup file from end to end and says what it is and whether it is sound:
 * the bot's object archive (every entry checked against the index) or a legacy tarball of a
 * MinIO data folder. Touches nothing in MinIO.
 */
import { forEachTarGzEntry } from '../../archive/tar-read.ts';
import { hashing } from '../../archive/tar-hash.ts';
import { describeError } from './client.ts';
import { HEADER_ENTRY, INDEX_ENTRY, OBJECTS_DIR, RENAMED_DIR, headerSchema, indexRecordSchema, type ArchiveHeader, type IndexRecord } from './format.ts';
import { legacyMarker } from './legacy.ts';

export type Inspection =
  | { kind: 'objects'; header: ArchiveHeader | undefined; records: IndexRecord[]; problems: string[]; file?: { bytes: number; sha256: string } }
  | { kind: 'legacy'; markers: string[]; entries: number; problems: string[]; file?: { bytes: number; sha256: string } };

const MAX_PROBLEMS = 20;
const MAX_HEADER_BYTES = 64 * 1024;

async function readSmall(content: AsyncIterable<Buffer>, limit: number): Promise<string> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of content) {
    n += chunk.length;
    if (n > limit) throw new Error(`entry larger than ${limit} bytes`);
    parts.push(chunk);
  }
  return Buffer.concat(parts).toString('utf8');
}

/** Splits a byte stream into lines without holding more than one line. */
async function* lines(content: AsyncIterable<Buffer>): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of content) {
    const parts = (rest + chunk.toString('utf8')).split('\n');
    rest = parts.pop() ?? '';
    yield* parts;
  }
  if (rest !== '') yield rest;
}

/**
 * Inspects `absPath`. Per-object digests are kept in memory until the index (the last entry) is
 * read: about a hundred bytes per object, never object data.
 */
export async function inspectArchive(absPath: string, buckets: string[], signal?: AbortSignal): Promise<Inspection> {
  const problems: string[] = [];
  const problem = (p: string): void => {
    if (problems.length < MAX_PROBLEMS) problems.push(p);
    else if (problems.length === MAX_PROBLEMS) problems.push('… and more problems (only the first ones are listed)');
  };
  let kind: 'objects' | 'legacy' | undefined;
  let header: ArchiveHeader | undefined;
  const seen = new Map<string, { size: number; sha256: string }>();
  const records: IndexRecord[] = [];
  let indexSeen = false;
  const markers = new Set<string>();
  let entries = 0;

  async function onObjectsEntry(name: string, type: string, content: AsyncIterable<Buffer>): Promise<void> {
    if (indexSeen) return problem(`entry ${name} follows the index`);
    if (name === INDEX_ENTRY) {
      indexSeen = true;
      let lineNo = 0;
      for await (const line of lines(content)) {
        lineNo += 1;
        if (line.trim() === '') continue;
        try {
          records.push(indexRecordSchema.parse(JSON.parse(line)));
        } catch {
          problem(`line ${lineNo} of the index is not a valid object record`);
        }
      }
      return;
    }
    if (type !== 'file' || !(name.startsWith(OBJECTS_DIR) || name.startsWith(RENAMED_DIR))) return problem(`unexpected entry ${name}`);
    if (seen.has(name)) return problem(`entry ${name} appears twice`);
    const h = hashing(content);
    for await (const _ of h.stream) void _;
    const got = h.result();
    seen.set(name, { size: got.bytes, sha256: got.sha256 });
  }

  let file: { bytes: number; sha256: string } | undefined;
  let readable = true;
  try {
    file = await forEachTarGzEntry(
      absPath,
      async (entry, content) => {
        entries += 1;
        if (kind === undefined) {
          kind = entry.name === HEADER_ENTRY ? 'objects' : 'legacy';
          if (kind === 'objects') {
            const parsed = headerSchema.safeParse(JSON.parse(await readSmall(content, MAX_HEADER_BYTES)));
            if (parsed.success) header = parsed.data;
            else problem(`${HEADER_ENTRY} is not a header this version understands`);
            return;
          }
        }
        if (kind === 'objects') return onObjectsEntry(entry.name, entry.type, content);
        const marker = legacyMarker(entry.name, buckets);
        if (marker) markers.add(marker);
        // Legacy content is read through (gzip checks its CRC at the end), not interpreted.
        for await (const _ of content) void _;
      },
      signal,
    );
  } catch (err) {
    readable = false;
    problem(`the file cannot be read to its end (${describeError(err)}): it is damaged or truncated`);
  }

  if (kind === 'legacy') {
    if (markers.size === 0) problem('the file is neither a MinIO backup of this bot nor a tarball of a MinIO data folder');
    return { kind, markers: [...markers], entries, problems, file };
  }
  if (kind === undefined) problem('the file holds no entries');
  else if (!indexSeen) problem(`the index (${INDEX_ENTRY}) is missing: the file is truncated`);
  // After a read error the index may be cut short: only damaged objects are worth naming then.
  const complete = indexSeen && readable;
  const keys = new Set<string>();
  for (const rec of records) {
    if (keys.has(rec.key)) problem(`object ${rec.key} is listed twice in the index`);
    keys.add(rec.key);
    const got = seen.get(rec.entry);
    if (!got) {
      if (complete) problem(`object ${rec.key} is in the index but its entry ${rec.entry} is missing`);
      continue;
    }
    seen.delete(rec.entry);
    if (got.size !== rec.size) problem(`object ${rec.key}: ${got.size} bytes in the file, ${rec.size} in the index`);
    else if (got.sha256 !== rec.sha256) problem(`object ${rec.key}: its content does not match its checksum`);
  }
  if (complete) for (const name of seen.keys()) problem(`entry ${name} is not in the index`);
  return { kind: 'objects', header, records, problems, file };
}
