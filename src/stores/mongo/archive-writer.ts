/**
 * Streaming writer of the mongodump archive format: yields the archive as byte chunks while it pulls
 * documents one at a time from each namespace's source, so a collection is never held in memory.
 * Collections are written one after another (no interleaving), each closed by its EOF block.
 */
import { BSON, Long } from 'mongodb';
import { ARCHIVE_FORMAT_VERSION, ARCHIVE_MAGIC, TERMINATOR, namespaceOf, type CollectionInfo } from './archive-format.ts';
import { Crc64 } from './crc64.ts';

/** One collection (or view) to put into the archive. */
export interface NamespaceSource {
  db: string;
  collection: string;
  info: CollectionInfo;
  /** Raw BSON documents, each one complete document; absent for views (no data). */
  documents?: () => AsyncIterable<Uint8Array>;
}

export interface ArchiveWriteOptions {
  serverVersion: string;
  toolVersion: string;
  signal?: AbortSignal;
}

/** Filled in while the archive is produced: documents and uncompressed bytes per namespace. */
export interface ArchiveWriteStats {
  counts: Map<string, number>;
  bytes: number;
}

const CHUNK_BYTES = 256 * 1024;

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0, 0);
  return b;
}

/** Metadata text as mongodump writes it: canonical Extended JSON with options, indexes, uuid, name, type. */
export function metadataJson(info: CollectionInfo): string {
  const doc: Record<string, unknown> = {};
  if (Object.keys(info.options).length > 0) doc['options'] = info.options;
  doc['indexes'] = info.indexes;
  if (info.uuid) doc['uuid'] = info.uuid;
  doc['collectionName'] = info.collectionName;
  doc['type'] = info.type;
  return BSON.EJSON.stringify(doc, { relaxed: false });
}

/** Gathers small pieces into chunks of about CHUNK_BYTES, so downstream streams see few large writes. */
class Chunker {
  private parts: Uint8Array[] = [];
  private size = 0;

  add(part: Uint8Array): Buffer | undefined {
    this.parts.push(part);
    this.size += part.length;
    return this.size >= CHUNK_BYTES ? this.take() : undefined;
  }

  take(): Buffer | undefined {
    if (this.size === 0) return undefined;
    const out = Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    return out;
  }
}

function header(db: string, collection: string, eof: boolean, crc: Long): Uint8Array {
  return BSON.serialize({ db, collection, EOF: eof, CRC: crc });
}

/** Produces the (uncompressed) archive for the given namespaces, in order. */
export async function* archiveChunks(
  sources: NamespaceSource[],
  options: ArchiveWriteOptions,
  stats: ArchiveWriteStats,
): AsyncGenerator<Buffer> {
  const chunker = new Chunker();
  const emit = (part: Uint8Array): Buffer | undefined => {
    stats.bytes += part.length;
    return chunker.add(part);
  };
  emit(u32(ARCHIVE_MAGIC));
  emit(
    BSON.serialize({
      concurrent_collections: new BSON.Int32(1),
      version: ARCHIVE_FORMAT_VERSION,
      server_version: options.serverVersion,
      tool_version: options.toolVersion,
    }),
  );
  for (const s of sources) {
    emit(
      BSON.serialize({
        db: s.db,
        collection: s.collection,
        metadata: metadataJson(s.info),
        size: new BSON.Int32(0),
        type: s.info.type,
      }),
    );
  }
  const ready = emit(u32(TERMINATOR));
  if (ready) yield ready;

  for (const s of sources) {
    const ns = namespaceOf(s.db, s.collection);
    const crc = new Crc64();
    let count = 0;
    if (s.documents) {
      for await (const doc of s.documents()) {
        options.signal?.throwIfAborted();
        checkDocument(doc, ns);
        if (count === 0) {
          const h = emit(header(s.db, s.collection, false, Long.ZERO));
          if (h) yield h;
        }
        crc.update(doc);
        count++;
        const out = emit(doc);
        if (out) yield out;
      }
      if (count > 0) emit(u32(TERMINATOR));
    }
    emit(header(s.db, s.collection, true, crc.value()));
    const out = emit(u32(TERMINATOR));
    stats.counts.set(ns, count);
    if (out) yield out;
  }
  const rest = chunker.take();
  if (rest) yield rest;
}

/** A source handing over anything but one whole BSON document would silently corrupt the archive. */
function checkDocument(doc: Uint8Array, ns: string): void {
  const len = doc.length >= 4 ? (doc[0] as number) | ((doc[1] as number) << 8) | ((doc[2] as number) << 16) | ((doc[3] as number) << 24) : -1;
  if (len !== doc.length || doc[doc.length - 1] !== 0) {
    throw new Error(`document of ${ns} is not a single BSON document (${doc.length} bytes)`);
  }
}
