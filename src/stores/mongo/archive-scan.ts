/**
 * Reads a whole archive file (gzipped or not) and checks it: structure, every document decodes,
 * every namespace announced in the prelude is closed by an EOF block whose CRC matches its data.
 * Optionally hands each document to a consumer (the restore pass).
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { BSON } from 'mongodb';
import { z } from 'zod';
import { namespaceOf, type ArchiveHeader, type CollectionInfo } from './archive-format.ts';
import { ArchiveFormatError, readArchive } from './archive-reader.ts';
import { Crc64 } from './crc64.ts';
import { bsonProblem } from './archive-bson.ts';
import { fileHead, gunzipFile } from '../../archive/file-chunks.ts';

/** A collection as announced by the archive's prelude. */
export interface ArchiveCollection {
  ns: string;
  db: string;
  collection: string;
  info: CollectionInfo;
}

export interface ArchiveSummary {
  header: ArchiveHeader | undefined;
  collections: ArchiveCollection[];
  /** Documents per namespace (`<db>.<collection>`), for every announced non-view namespace. */
  counts: Record<string, number>;
  /** Everything wrong with the archive; [] when sound. */
  problems: string[];
}

export interface ScanOptions {
  /** Check every document's full BSON structure (verify); the restore pass sends them as they are. */
  decodeDocuments?: boolean;
  /**
   * Called for each document in stream order; awaited (backpressure). `bytes` are valid until the
   * returned promise settles (a view of the stream's buffers): copy what you keep.
   */
  onDocument?: (collection: ArchiveCollection, bytes: Buffer) => Promise<void> | void;
  /** Called at a namespace's EOF block, once all its documents were passed to onDocument; awaited. */
  onEof?: (collection: ArchiveCollection) => Promise<void> | void;
  signal?: AbortSignal;
}

const MAX_PROBLEMS = 20;

const metadataSchema = z.object({
  options: z.record(z.unknown()).optional(),
  indexes: z.array(z.record(z.unknown())).nullish(),
  uuid: z.string().optional(),
  collectionName: z.string().optional(),
  type: z.string().optional(),
});

/** A collection's metadata as mongodump writes it (extended JSON), with its defaults. */
export function parseMetadata(text: string, collection: string, type: string | undefined): CollectionInfo {
  if (text.trim() === '') return { options: {}, indexes: [], collectionName: collection, type: type ?? 'collection' };
  const raw: unknown = BSON.EJSON.parse(text, { relaxed: false });
  const m = metadataSchema.parse(raw);
  return {
    options: m.options ?? {},
    indexes: m.indexes ?? [],
    ...(m.uuid ? { uuid: m.uuid } : {}),
    collectionName: m.collectionName ?? collection,
    type: type || m.type || (m.options?.['viewOn'] ? 'view' : 'collection'),
  };
}

/** An archive file's uncompressed bytes (see readArchive for `release`). */
export interface OpenedArchive {
  chunks: AsyncIterable<Buffer>;
  release?: (chunk: Buffer) => void;
  close(): void;
}

/**
 * Opens an archive file as its uncompressed bytes (gzip detected by its magic). A gzipped archive
 * is inflated without a trail of buffers (src/archive/file-chunks.ts): the memory of a read stays
 * the same whatever the archive's size.
 */
export async function openArchive(file: string, signal?: AbortSignal): Promise<OpenedArchive> {
  const probe = await fileHead(file, 2);
  if (probe[0] !== 0x1f || probe[1] !== 0x8b) {
    // Not gzipped (mongodump without --gzip): a plain stream; ByteReader keeps its chunks, so they cannot be reused buffers.
    const raw: Readable = createReadStream(file, { highWaterMark: 256 * 1024 });
    return { chunks: raw, close: () => raw.destroy() };
  }
  const inflated = gunzipFile(file, signal);
  return { chunks: inflated.chunks, release: inflated.release, close: inflated.close };
}

/** Scans the archive; never throws for a bad archive (problems are returned), only for I/O of the caller. */
export async function scanArchive(file: string, options: ScanOptions = {}): Promise<ArchiveSummary> {
  const summary: ArchiveSummary = { header: undefined, collections: [], counts: {}, problems: [] };
  const byNs = new Map<string, ArchiveCollection>();
  const crcs = new Map<string, Crc64>();
  const closed = new Set<string>();
  let archive: OpenedArchive | undefined;
  try {
    archive = await openArchive(file, options.signal);
    for await (const ev of readArchive(archive.chunks, archive.release)) {
      options.signal?.throwIfAborted();
      switch (ev.kind) {
        case 'header':
          summary.header = ev.header;
          break;
        case 'collection': {
          const { db, collection, type, metadata } = ev.meta;
          const ns = namespaceOf(db, collection);
          let info: CollectionInfo;
          try {
            info = parseMetadata(metadata, collection, type);
          } catch {
            summary.problems.push(`metadata of ${ns} is not valid Extended JSON`);
            info = { options: {}, indexes: [], collectionName: collection, type: type ?? 'collection' };
          }
          const entry = { ns, db, collection, info };
          byNs.set(ns, entry);
          summary.collections.push(entry);
          if (info.type !== 'timeseries') crcs.set(ns, new Crc64());
          if (info.type !== 'view' && info.type !== 'timeseries') summary.counts[ns] = 0;
          break;
        }
        case 'segment':
          // A time-series collection's data comes as <db>.system.buckets.<name> (reported once, below).
          if (!crcs.has(ev.ns) && !isBucketsOfTimeseries(ev.ns, byNs)) summary.problems.push(`data of ${ev.ns}, which the prelude does not announce`);
          if (closed.has(ev.ns)) summary.problems.push(`data of ${ev.ns} after its EOF block`);
          break;
        case 'document': {
          const entry = byNs.get(ev.ns);
          if (options.decodeDocuments) decodeOrReport(ev.bytes, ev.ns, summary.problems);
          crcs.get(ev.ns)?.update(ev.bytes);
          summary.counts[ev.ns] = (summary.counts[ev.ns] ?? 0) + 1;
          if (entry && options.onDocument) await options.onDocument(entry, ev.bytes);
          break;
        }
        case 'eof': {
          const crc = crcs.get(ev.ns);
          if (closed.has(ev.ns)) summary.problems.push(`${ev.ns} is closed twice`);
          closed.add(ev.ns);
          if (crc && ev.crc !== undefined && BigInt(`0x${crc.hex()}`) !== ev.crc) {
            summary.problems.push(`checksum mismatch in ${ev.ns} (CRC-64 ${crc.hex()} ≠ ${ev.crc.toString(16)} recorded)`);
          }
          const entry = byNs.get(ev.ns);
          if (entry && options.onEof) await options.onEof(entry);
          break;
        }
      }
      if (summary.problems.length >= MAX_PROBLEMS) {
        summary.problems.push('stopped reading after too many problems');
        return summary;
      }
    }
  } catch (err) {
    if (options.signal?.aborted) throw err;
    summary.problems.push(describeFailure(err));
    return summary;
  } finally {
    archive?.close();
  }
  for (const c of summary.collections) {
    if (c.info.type === 'timeseries') summary.problems.push(`${c.ns} is a time-series collection, which this tool does not restore`);
    else if (!closed.has(c.ns)) summary.problems.push(`archive ends before ${c.ns} is complete`);
  }
  return summary;
}

function isBucketsOfTimeseries(ns: string, byNs: Map<string, ArchiveCollection>): boolean {
  const m = /^(.*)\.system\.buckets\.(.+)$/.exec(ns);
  return m !== null && byNs.get(`${m[1]}.${m[2]}`)?.info.type === 'timeseries';
}

function decodeOrReport(bytes: Buffer, ns: string, problems: string[]): void {
  const problem = bsonProblem(bytes);
  if (problem !== undefined) problems.push(`a document of ${ns} is not valid BSON: ${problem}`);
}

function describeFailure(err: unknown): string {
  if (err instanceof ArchiveFormatError) return err.message;
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(e.message ?? '')) return 'gzip stream is truncated (unexpected end of file)';
  if (typeof e.code === 'string' && e.code.startsWith('Z_')) return `gzip stream is corrupted (${e.message})`;
  if (e.code === 'ENOENT') return 'archive file is missing';
  return `archive cannot be read: ${e.message ?? String(err)}`;
}
