/**
 * Streaming parser of the (uncompressed) mongodump archive byte stream: turns it into events
 * without holding more than one document at a time. Structure errors throw ArchiveFormatError;
 * meaning (prelude vs namespaces, CRCs, counts) is checked by archive-scan.ts.
 */
import { BSON, type Document } from 'mongodb';
import {
  ARCHIVE_MAGIC,
  MAX_BSON_SIZE,
  MIN_BSON_SIZE,
  TERMINATOR,
  archiveHeaderSchema,
  collectionMetadataSchema,
  namespaceHeaderSchema,
  namespaceOf,
  type ArchiveHeader,
  type CollectionMetadata,
} from './archive-format.ts';

export type ArchiveEvent =
  | { kind: 'header'; header: ArchiveHeader }
  | { kind: 'collection'; meta: CollectionMetadata }
  | { kind: 'segment'; ns: string }
  /** Valid until the next event is asked for (a view of the stream's buffers). */
  | { kind: 'document'; ns: string; bytes: Buffer }
  | { kind: 'eof'; ns: string; crc: bigint | undefined };

/** The byte stream is not a well-formed archive (truncated, corrupted, or not an archive at all). */
export class ArchiveFormatError extends Error {}

/**
 * Pulls exact byte counts out of a chunked stream. What `take` returns is a view of the stream's
 * own chunk (or, for bytes spanning two chunks, of a scratch buffer reused by the next call): valid
 * until the next `take`. A chunk read to its end is handed to `release` at the next `take`, once no
 * view of it can still be in use — so the stream's buffers go back as they are read.
 */
class ByteReader {
  private chunks: Buffer[] = [];
  private offset = 0;
  private available = 0;
  private ended = false;
  private done: Buffer[] = [];
  private scratch = Buffer.allocUnsafeSlow(64 * 1024);
  /** Bytes consumed so far, for error messages. */
  position = 0;

  constructor(
    private readonly source: AsyncIterator<Buffer>,
    private readonly release: (chunk: Buffer) => void = () => undefined,
  ) {}

  async fill(n: number): Promise<boolean> {
    while (this.available < n && !this.ended) {
      const next = await this.source.next();
      if (next.done) {
        this.ended = true;
      } else if (next.value.length > 0) {
        this.chunks.push(next.value);
        this.available += next.value.length;
      }
    }
    return this.available >= n;
  }

  get empty(): boolean {
    return this.available === 0;
  }

  /** The little-endian uint32 at the read position, without consuming it (4 bytes must be filled). */
  peekUInt32(): number {
    const first = this.chunks[0] as Buffer;
    if (first.length - this.offset >= 4) return first.readUInt32LE(this.offset);
    let v = 0;
    let i = 0;
    for (const chunk of this.chunks) {
      for (let j = chunk === first ? this.offset : 0; j < chunk.length && i < 4; j++, i++) v += (chunk[j] as number) * 2 ** (8 * i);
      if (i === 4) break;
    }
    return v;
  }

  take(n: number): Buffer {
    for (const chunk of this.done) this.release(chunk);
    this.done = [];
    const first = this.chunks[0] as Buffer;
    let out: Buffer;
    if (first.length - this.offset >= n) {
      out = first.subarray(this.offset, this.offset + n);
      this.offset += n;
    } else {
      if (this.scratch.length < n) this.scratch = Buffer.allocUnsafeSlow(Math.max(n, this.scratch.length * 2));
      out = this.scratch.subarray(0, n);
      let written = 0;
      while (written < n) {
        const chunk = this.chunks[0] as Buffer;
        const copied = chunk.copy(out, written, this.offset, Math.min(chunk.length, this.offset + n - written));
        written += copied;
        this.offset += copied;
        if (this.offset === chunk.length) this.shift();
      }
    }
    if (this.chunks.length > 0 && this.offset === (this.chunks[0] as Buffer).length) this.shift();
    this.available -= n;
    this.position += n;
    return out;
  }

  private shift(): void {
    this.done.push(this.chunks.shift() as Buffer);
    this.offset = 0;
  }
}

type Item = { type: 'end' } | { type: 'terminator' } | { type: 'document'; bytes: Buffer };

/** The next length-prefixed item; a document's bytes are valid until the next call (see ByteReader). */
async function nextItem(r: ByteReader): Promise<Item> {
  if (!(await r.fill(4))) {
    if (r.empty) return { type: 'end' };
    throw new ArchiveFormatError(`archive is truncated at byte ${r.position}`);
  }
  const at = r.position;
  const size = r.peekUInt32();
  if (size === TERMINATOR) {
    r.take(4);
    return { type: 'terminator' };
  }
  if (size < MIN_BSON_SIZE || size > MAX_BSON_SIZE) {
    throw new ArchiveFormatError(`corrupted archive: ${size} at byte ${at} is neither a BSON length nor a terminator`);
  }
  if (!(await r.fill(size))) throw new ArchiveFormatError(`archive is truncated inside a document at byte ${at}`);
  const bytes = r.take(size);
  if (bytes[size - 1] !== 0) throw new ArchiveFormatError(`corrupted archive: document at byte ${at} does not end with a null byte`);
  return { type: 'document', bytes };
}

function decode(bytes: Buffer, what: string): Document {
  try {
    return BSON.deserialize(bytes, { promoteLongs: false });
  } catch (err) {
    throw new ArchiveFormatError(`corrupted archive: ${what} is not valid BSON (${(err as Error).message})`);
  }
}

function parse<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }, doc: Document, what: string): T {
  const parsed = schema.safeParse(doc);
  if (!parsed.success) throw new ArchiveFormatError(`corrupted archive: ${what} lacks required fields`);
  return parsed.data;
}

function crcOf(value: unknown): bigint | undefined {
  if (value instanceof BSON.Long) return BigInt.asUintN(64, value.toBigInt());
  if (typeof value === 'number') return BigInt.asUintN(64, BigInt(Math.trunc(value)));
  return undefined;
}

/**
 * Yields the archive's events in stream order. A document's `bytes` are a view valid until the
 * next event is asked for: use them then, or copy them. `release` (see ByteReader) gives each chunk
 * of `source` back once it is read.
 */
export async function* readArchive(source: AsyncIterable<Buffer>, release?: (chunk: Buffer) => void): AsyncGenerator<ArchiveEvent> {
  const r = new ByteReader(source[Symbol.asyncIterator](), release);
  if (!(await r.fill(4)) || r.take(4).readUInt32LE(0) !== ARCHIVE_MAGIC) {
    throw new ArchiveFormatError('not a mongodump archive (magic number missing)');
  }
  const first = await nextItem(r);
  if (first.type !== 'document') throw new ArchiveFormatError('corrupted archive: the prelude header is missing');
  yield { kind: 'header', header: parse(archiveHeaderSchema, decode(first.bytes, 'the prelude header'), 'the prelude header') };
  for (;;) {
    const item = await nextItem(r);
    if (item.type === 'end') throw new ArchiveFormatError('archive is truncated inside the prelude');
    if (item.type === 'terminator') break;
    const meta = parse(collectionMetadataSchema, decode(item.bytes, 'a prelude entry'), 'a prelude entry');
    yield { kind: 'collection', meta };
  }
  for (;;) {
    const item = await nextItem(r);
    if (item.type === 'end') return;
    if (item.type === 'terminator') throw new ArchiveFormatError(`corrupted archive: consecutive terminators at byte ${r.position - 4}`);
    const h = parse(namespaceHeaderSchema, decode(item.bytes, 'a namespace header'), 'a namespace header');
    const ns = namespaceOf(h.db, h.collection);
    if (h.EOF) {
      const end = await nextItem(r);
      if (end.type !== 'terminator') throw new ArchiveFormatError(`corrupted archive: the EOF block of ${ns} is not terminated`);
      yield { kind: 'eof', ns, crc: crcOf(h.CRC) };
      continue;
    }
    yield { kind: 'segment', ns };
    for (;;) {
      const body = await nextItem(r);
      if (body.type === 'end') throw new ArchiveFormatError(`archive is truncated inside the data of ${ns}`);
      if (body.type === 'terminator') break;
      yield { kind: 'document', ns, bytes: body.bytes };
    }
  }
}
