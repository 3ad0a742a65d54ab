/**
 * Restores one (already verified) archive, as `mongorestore --drop` would after the runbook's
 * "drop every database": drop the database, recreate each collection with its options, stream the
 * documents in batches, recreate views and indexes, then compare counts with the archive.
 */
import { BSON, type Db, type Document, type MongoClient } from 'mongodb';
import { scanArchive, type ArchiveCollection, type ArchiveSummary } from './archive-scan.ts';
import { isDumpable } from './namespaces.ts';
import { mapLimit } from '../../parallel.ts';

export interface RestoreOptions {
  signal: AbortSignal;
  /** Databases to drop even when the archive holds no collection of theirs (an empty backup). */
  databases?: string[];
  batchSize?: number;
  onCollection?: (ns: string, count: number) => void;
  /** Restore each database under another name (the restore drill's scratch databases); default: as named in the archive. */
  renameDb?: (db: string) => string;
}

/** Thrown when the server refuses part of a restore; the message names the collection or index. */
export class RestoreStepError extends Error {}

const BATCH_BYTES = 8 * 1024 * 1024;
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
  const dbs = new Set([...(opts.databases ?? []), ...plan.map((c) => c.db)].filter((d) => !SERVER_DATABASES.has(d)));
  for (const name of dbs) await step(`dropping database ${to(name)}`, () => client.db(to(name)).dropDatabase());
  await createCollections(client, plan, to);

  const batchSize = opts.batchSize ?? 1000;
  const batches = new Map<string, { c: ArchiveCollection; docs: Document[]; bytes: number }>();
  const inserted = new Map<string, number>();
  // Like mongorestore's parallel insertion workers: a few batches in flight while the archive is
  // read on, bounded so memory stays at most IN_FLIGHT × BATCH_BYTES whatever the data size.
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const flush = (ns: string): Promise<void> => {
    const b = batches.get(ns);
    if (!b || b.docs.length === 0) return Promise.resolve();
    const docs = b.docs;
    batches.set(ns, { c: b.c, docs: [], bytes: 0 });
    opts.signal.throwIfAborted();
    const p = step(`inserting into ${ns}`, () => client.db(to(b.c.db)).collection(b.c.collection).insertMany(docs, { ordered: false }))
      .then(() => {
        inserted.set(ns, (inserted.get(ns) ?? 0) + docs.length);
      })
      .catch((err: unknown) => {
        failure ??= err;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    return p;
  };
  const settle = async (limit: number): Promise<void> => {
    while (inFlight.size > limit) await Promise.race(inFlight);
    if (failure) throw failure;
  };
  const wanted = new Set(plan.filter((c) => c.info.type === 'collection').map((c) => c.ns));
  const second = await scanArchive(file, {
    signal: opts.signal,
    onDocument: async (c, bytes) => {
      if (!wanted.has(c.ns)) return;
      // promoteValues:false & co keep every BSON type (Int32, Double -0/NaN, Long, regex, binary) as is.
      const doc = BSON.deserialize(bytes, { promoteValues: false, promoteBuffers: false, promoteLongs: false, bsonRegExp: true });
      const b = batches.get(c.ns) ?? { c, docs: [], bytes: 0 };
      b.docs.push(doc);
      b.bytes += bytes.length;
      batches.set(c.ns, b);
      if (b.docs.length >= batchSize || b.bytes >= BATCH_BYTES) {
        void flush(c.ns);
        await settle(IN_FLIGHT - 1);
      }
    },
  });
  await settle(0);
  // The file was verified before anything was dropped; a change since then is reported, not ignored.
  if (second.problems.length > 0) throw new RestoreStepError(`archive changed during restore: ${second.problems.join('; ')}`);
  for (const ns of batches.keys()) void flush(ns);
  await settle(0);
  for (const c of plan) if (c.info.type === 'collection') opts.onCollection?.(c.ns, inserted.get(c.ns) ?? 0);
  await createViewsAndIndexes(client, plan, to);

  const counts: Record<string, number> = {};
  const wrong: string[] = [];
  // The `count` command: exact right after a restore (nothing else writes), and answered from
  // collection metadata on MongoDB instead of a scan of every document (FerretDB scans: a few at once).
  const collections = plan.filter((c) => c.info.type === 'collection');
  const found = await mapLimit(collections, 4, async (c) => Number(((await client.db(to(c.db)).command({ count: c.collection })) as { n?: number }).n ?? -1));
  collections.forEach((c, i) => {
    const n = found[i] ?? -1;
    counts[c.ns] = n;
    const expected = verified.counts[c.ns] ?? 0;
    if (n !== expected) wrong.push(`${c.ns} has ${n} documents, the archive ${expected}`);
  });
  if (wrong.length > 0) throw new RestoreStepError(`counts differ after restore: ${wrong.join('; ')}`);
  return counts;
}
