/**
 * Restores one (already verified) archive, as `mongorestore --drop` would after the runbook's
 * "drop every database": drop the database, recreate each collection with its options, stream the
 * documents (their BSON bytes as archived) in batches, build views and indexes after the load,
 * then check counts: the server's acknowledgements and its own count against the archive's.
 */
import type { Db, Document, MongoClient } from 'mongodb';
import { scanArchive, type ArchiveCollection, type ArchiveSummary } from './archive-scan.ts';
import { isDumpable } from './namespaces.ts';
import { mapLimit } from '../../parallel.ts';
import { insertBatch } from './raw-insert.ts';
import { BatchBuffer } from './batch-buffer.ts';

export interface RestoreOptions {
  signal: AbortSignal;
  /** Databases to drop even when the archive holds no collection of theirs (an empty backup). */
  databases?: string[];
  batchSize?: number;
  onCollection?: (ns: string, count: number) => void;
  /** Restore each database under another name (the restore drill's scratch databases); default: as named in the archive. */
  renameDb?: (db: string) => string;
  /** Called after each step with its duration (benchmarks: where a load spends its time). */
  onPhase?: (phase: RestorePhase, ms: number) => void;
}

/** Thrown when the server refuses part of a restore; the message names the collection or index. */
export class RestoreStepError extends Error {}

/**
 * A batch goes to the server at 1000 documents or this many bytes, whichever comes first. Small
 * enough that the memory a load holds does not depend on how large the documents are (at most
 * IN_FLIGHT + 1 batches per archive, and the driver's copy of those in flight), large enough that a
 * batch costs the server far more than its round trip (bench/stores.ts at scale 10, 3 runs each:
 * 1.43× mongorestore like for like against 1.23× with 8 MiB batches; the load times overlap).
 */
const BATCH_BYTES = 256 * 1024;
const IN_FLIGHT = 4;
const SERVER_DATABASES = new Set(['', 'admin', 'config', 'local']);

/**
 * mongorestore drops the index version by default (the server picks its own), and `ns` names the
 * source namespace; FerretDB rejects `v` outright.
 */
function indexSpec(index: Record<string, unknown>): Document {
  const { v: _v, ns: _ns, ...spec } = index;
  return spec;
}

function isIdIndex(index: Record<string, unknown>): boolean {
  return index['name'] === '_id_';
}

async function step<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw new RestoreStepError(`${what} failed: ${(err as Error).message}`, { cause: err });
  }
}

type Target = (db: string) => string;

async function createCollections(client: MongoClient, plan: ArchiveCollection[], to: Target): Promise<void> {
  for (const c of plan.filter((p) => p.info.type === 'collection')) {
    await step(`creating ${c.ns}`, () => client.db(to(c.db)).command({ create: c.collection, ...c.info.options }));
  }
}

async function createViewsAndIndexes(client: MongoClient, plan: ArchiveCollection[], to: Target): Promise<void> {
  for (const c of plan) {
    const db: Db = client.db(to(c.db));
    if (c.info.type === 'view') {
      await step(`creating view ${c.ns}`, () => db.command({ create: c.collection, ...c.info.options }));
      continue;
    }
    const specs = c.info.indexes.filter((i) => !isIdIndex(i)).map(indexSpec);
    if (specs.length === 0) continue;
    await step(`creating indexes of ${c.ns} (${specs.map((s) => String(s['name'])).join(', ')})`, () =>
      db.command({ createIndexes: c.collection, indexes: specs }),
    );
  }
}

/** The steps of a load, as timed for `onPhase`. */
export type RestorePhase = 'drop' | 'create' | 'insert' | 'index' | 'count';

/** Server-side count of one collection: `$collStats` answers from collection metadata on MongoDB and from page counts on FerretDB/SQLite, where `count` reads every document. */
async function serverCount(db: Db, collection: string): Promise<number> {
  try {
    const stats = await db.collection(collection).aggregate<{ count?: unknown }>([{ $collStats: { count: {} } }]).toArray();
    // One entry per shard on a sharded cluster.
    if (stats.length > 0 && stats.every((s) => typeof s.count === 'number')) return stats.reduce((n, s) => n + Number(s.count), 0);
  } catch {
    // A server without $collStats: the count command, exact but possibly a scan.
  }
  return Number(((await db.command({ count: collection })) as { n?: number }).n ?? -1);
}

/** Restores the archive; `verified` is the summary of a successful verification scan of the same file. */
export async function restoreArchive(
  client: MongoClient,
  file: string,
  verified: ArchiveSummary,
  opts: RestoreOptions,
): Promise<Record<string, number>> {
  // The oplog (db "") is only replayed by mongorestore --oplogReplay; admin/config/local are the
  // server's own and are never dropped or written here.
  const plan = verified.collections.filter((c) => isDumpable(c.collection) && !SERVER_DATABASES.has(c.db));
  const to: Target = opts.renameDb ?? ((db) => db);
  const timed = async <T>(phase: RestorePhase, run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const out = await run();
    opts.onPhase?.(phase, performance.now() - started);
    return out;
  };
  const dbs = new Set([...(opts.databases ?? []), ...plan.map((c) => c.db)].filter((d) => !SERVER_DATABASES.has(d)));
  await timed('drop', async () => {
    for (const name of dbs) await step(`dropping database ${to(name)}`, () => client.db(to(name)).dropDatabase());
  });
  await timed('create', () => createCollections(client, plan, to));

  const collections = plan.filter((c) => c.info.type === 'collection');
  const inserted = await timed('insert', () => loadDocuments(client, file, collections, to, opts));
  for (const c of collections) opts.onCollection?.(c.ns, inserted.get(c.ns) ?? 0);
  await timed('index', () => createViewsAndIndexes(client, plan, to));

  // Two checks that a load is complete: the server acknowledged every document of the archive,
  // and the server's own count of each collection agrees (cheap on both MongoDB and FerretDB).
  return timed('count', async () => {
    const counts: Record<string, number> = {};
    const wrong: string[] = [];
    const found = await mapLimit(collections, 4, (c) => step(`counting ${c.ns}`, () => serverCount(client.db(to(c.db)), c.collection)));
    collections.forEach((c, i) => {
      const n = found[i] ?? -1;
      const acknowledged = inserted.get(c.ns) ?? 0;
      const expected = verified.counts[c.ns] ?? 0;
      counts[c.ns] = n;
      if (acknowledged !== expected) wrong.push(`${c.ns}: the server acknowledged ${acknowledged} documents, the archive holds ${expected}`);
      else if (n !== expected) wrong.push(`${c.ns} has ${n} documents, the archive ${expected}`);
    });
    if (wrong.length > 0) throw new RestoreStepError(`counts differ after restore: ${wrong.join('; ')}`);
    return counts;
  });
}

/**
 * Streams the archive's documents into their collections, as archived (raw-insert.ts), and returns
 * the documents the server acknowledged per namespace. Like mongorestore's insertion workers, a few
 * batches are in flight while the archive is read on. Memory stays at most IN_FLIGHT × BATCH_BYTES
 * in flight plus one partial batch per collection whose data is still being read (one for this
 * tool's archives, which do not interleave collections; mongodump's interleave a few), whatever the
 * data size.
 */
async function loadDocuments(client: MongoClient, file: string, collections: ArchiveCollection[], to: Target, opts: RestoreOptions): Promise<Map<string, number>> {
  const batchSize = opts.batchSize ?? 1000;
  const batches = new Map<string, { c: ArchiveCollection; batch: BatchBuffer }>();
  const inserted = new Map<string, number>();
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const flush = (ns: string): void => {
    const b = batches.get(ns);
    if (!b || b.batch.count === 0) return;
    const { batch } = b;
    batches.set(ns, { c: b.c, batch: new BatchBuffer() });
    opts.signal.throwIfAborted();
    const p = step(`inserting into ${ns}`, () => insertBatch(client.db(to(b.c.db)), b.c.collection, batch))
      .then((n) => {
        inserted.set(ns, (inserted.get(ns) ?? 0) + n);
      })
      .catch((err: unknown) => {
        failure ??= err;
      })
      .finally(() => {
        // The server has answered (or the insert failed for good): nothing reads these documents again.
        batch.free();
        inFlight.delete(p);
      });
    inFlight.add(p);
  };
  const settle = async (limit: number): Promise<void> => {
    while (inFlight.size > limit) await Promise.race(inFlight);
    if (failure) throw failure;
  };
  const wanted = new Map(collections.map((c) => [c.ns, c]));
  const second = await scanArchive(file, {
    signal: opts.signal,
    onDocument: async (entry, bytes) => {
      const c = wanted.get(entry.ns);
      if (!c) return;
      const b = batches.get(c.ns) ?? { c, batch: new BatchBuffer() };
      // `bytes` is a view of the archive reader's buffers, valid for this call only.
      b.batch.add(bytes);
      batches.set(c.ns, b);
      if (b.batch.count >= batchSize || b.batch.bytes.length >= BATCH_BYTES) {
        flush(c.ns);
        await settle(IN_FLIGHT - 1);
      }
    },
    // A collection's last partial batch goes as soon as its data ends: held to the end of the
    // archive, one per collection, they made the load's memory grow with the number and size of
    // the collections.
    onEof: async (c) => {
      if (!batches.has(c.ns)) return;
      flush(c.ns);
      batches.delete(c.ns);
      await settle(IN_FLIGHT - 1);
    },
  });
  await settle(0);
  // The file was verified before anything was dropped; a change since then is reported, not ignored.
  if (second.problems.length > 0) throw new RestoreStepError(`archive changed during restore: ${second.problems.join('; ')}`);
  for (const ns of batches.keys()) flush(ns);
  await settle(0);
  return inserted;
}
