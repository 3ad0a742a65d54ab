/**
 * Backs up one database into a gzipped mongodump archive file: cursor → BSON → archive → gzip → file,
 * with sha256 and size computed on the way. The file appears under its final name only when complete.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { MongoClient } from 'mongodb';
import { archiveChunks, type ArchiveWriteStats, type NamespaceSource } from './archive-writer.ts';
import { listNamespaces } from './namespaces.ts';
import { createContentHash, type ContentHash } from '../../drill/fingerprint.ts';

export interface DumpResult {
  bytes: number;
  sha256: string;
  /** Documents per collection, keyed `<db>.<collection>`. */
  counts: Record<string, number>;
  collections: string[];
  views: string[];
  indexes: number;
  /** True when the server has no such database (backed up as an empty archive). */
  missing: boolean;
  uncompressedBytes: number;
  /** Order-independent content fingerprint per collection (src/drill/fingerprint.ts), for the restore drill. */
  fingerprints: Record<string, string>;
}

export interface DumpOptions {
  serverVersion: string;
  toolVersion: string;
  signal: AbortSignal;
  onCollection?: (ns: string, count: number) => void;
}

/** Passes bytes through while hashing and counting them. */
function digestTap(): { tap: Transform; result: () => { bytes: number; sha256: string } } {
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  return { tap, result: () => ({ bytes, sha256: hash.digest('hex') }) };
}

export async function dumpDatabase(client: MongoClient, dbName: string, file: string, opts: DumpOptions): Promise<DumpResult> {
  const names = await client.db('admin').admin().listDatabases({ nameOnly: true });
  const missing = !names.databases.some((d) => d.name === dbName);
  const db = client.db(dbName);
  const infos = missing ? [] : await listNamespaces(db);
  const timeseries = infos.find((i) => i.type === 'timeseries');
  if (timeseries) throw new Error(`${dbName}.${timeseries.collectionName} is a time-series collection, which this tool cannot back up`);

  const hashes = new Map<string, ContentHash>();
  const sources: NamespaceSource[] = infos.map((info) => {
    const source: NamespaceSource = { db: dbName, collection: info.collectionName, info };
    if (info.type === 'collection') {
      const hash = createContentHash();
      hashes.set(`${dbName}.${info.collectionName}`, hash);
      // raw:true hands over each document's BSON bytes untouched: no decode/encode, exact types.
      source.documents = () =>
        hashed(db.collection(info.collectionName).find({}, { raw: true, batchSize: 1000 }) as unknown as AsyncIterable<Uint8Array>, hash);
    }
    return source;
  });
  const stats: ArchiveWriteStats = { counts: new Map(), bytes: 0 };
  const digest = digestTap();
  const tmp = `${file}.partial`;
  const chunks = reportingChunks(sources, opts, stats);
  try {
    await pipeline(Readable.from(chunks), createGzip(), digest.tap, createWriteStream(tmp, { mode: 0o600 }), {
      signal: opts.signal,
    });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  const counts: Record<string, number> = {};
  for (const info of infos) {
    const ns = `${dbName}.${info.collectionName}`;
    if (info.type === 'collection') counts[ns] = stats.counts.get(ns) ?? 0;
  }
  return {
    ...digest.result(),
    counts,
    collections: infos.filter((i) => i.type === 'collection').map((i) => i.collectionName),
    views: infos.filter((i) => i.type === 'view').map((i) => i.collectionName),
    indexes: infos.reduce((n, i) => n + i.indexes.length, 0),
    missing,
    uncompressedBytes: stats.bytes,
    fingerprints: Object.fromEntries([...hashes].map(([ns, h]) => [ns, h.digest()])),
  };
}

async function* hashed(docs: AsyncIterable<Uint8Array>, hash: ContentHash): AsyncGenerator<Uint8Array> {
  for await (const d of docs) {
    hash.add(d);
    yield d;
  }
}

/** Wraps the archive generator to report each finished collection. */
async function* reportingChunks(sources: NamespaceSource[], opts: DumpOptions, stats: ArchiveWriteStats): AsyncGenerator<Buffer> {
  let reported = 0;
  for await (const chunk of archiveChunks(sources, opts, stats)) {
    yield chunk;
    if (stats.counts.size > reported) {
      for (const [ns, n] of [...stats.counts].slice(reported)) opts.onCollection?.(ns, n);
      reported = stats.counts.size;
    }
  }
  for (const [ns, n] of [...stats.counts].slice(reported)) opts.onCollection?.(ns, n);
}
