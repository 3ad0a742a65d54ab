/**
 * MongoDB scratch target: each database of the set is restored as `drill_<db>` on the same server
 * (the adapter's own restore code, with the database renamed), every collection's documents are
 * read back and fingerprinted, and the scratch database is dropped.
 */
import { join } from 'node:path';
import type { MongoClient } from 'mongodb';
import type { Config } from '../../config.ts';
import { StoreError } from '../../errors.ts';
import { scanArchive } from '../../stores/mongo/archive-scan.ts';
import { connectMongo, reason } from '../../stores/mongo/client.ts';
import { isDumpable } from '../../stores/mongo/namespaces.ts';
import { restoreArchive } from '../../stores/mongo/restore.ts';
import type { Artifact } from '../../stores/types.ts';
import { createContentHash, decodeFingerprints, firstDifference, type Fingerprints } from '../fingerprint.ts';
import { scratchName } from '../scratch-names.ts';
import type { DrillContext, DrillTarget } from '../types.ts';

function databaseOf(a: Artifact): string | undefined {
  const d = a.meta?.['database'];
  return typeof d === 'string' ? d : undefined;
}

/** Fingerprints of every collection of a (scratch) database, keyed under the live name. */
async function readBack(client: MongoClient, scratch: string, live: string, signal: AbortSignal): Promise<Fingerprints> {
  const db = client.db(scratch);
  const out: Fingerprints = {};
  const colls = await db.listCollections({}, { nameOnly: false }).toArray();
  for (const c of colls) {
    if (c.type === 'view' || !isDumpable(c.name)) continue;
    const hash = createContentHash();
    for await (const doc of db.collection(c.name).find({}, { raw: true, batchSize: 1000 }) as unknown as AsyncIterable<Uint8Array>) {
      signal.throwIfAborted();
      hash.add(doc);
    }
    out[`${live}.${c.name}`] = hash.digest();
  }
  return out;
}

/** Fingerprints computed from the archive itself, for sets made before the manifest recorded them. */
async function fromArchive(file: string, signal: AbortSignal): Promise<Fingerprints> {
  const hashes = new Map<string, ReturnType<typeof createContentHash>>();
  const summary = await scanArchive(file, {
    signal,
    onDocument: (c, bytes) => {
      let h = hashes.get(c.ns);
      if (!h) hashes.set(c.ns, (h = createContentHash()));
      h.add(bytes);
    },
  });
  const out: Fingerprints = {};
  for (const ns of Object.keys(summary.counts)) out[ns] = hashes.get(ns)?.digest() ?? createContentHash().digest();
  return out;
}

export function createMongoTarget(config: Config): DrillTarget {
  const live = config.mongo.databases;
  let client: MongoClient | undefined;
  const connect = async (): Promise<MongoClient> => {
    client ??= await connectMongo({ url: config.mongo.url, connectTimeoutMs: config.connectTimeoutMs, operationTimeoutMs: config.storeTimeoutMs });
    return client;
  };
  const scratchOf = (db: string): string => scratchName('mongo', db, live);

  return {
    store: 'mongo',
    checkNames() {
      for (const db of live) scratchOf(db);
    },
    neededBytes(artifacts, factor) {
      return artifacts.reduce((n, a) => n + Number(a.meta?.['uncompressedBytes'] ?? a.bytes * 5), 0) * factor;
    },
    async space() {
      const stats = (await (await connect()).db('admin').command({ dbStats: 1 })) as { fsTotalSize?: number; fsUsedSize?: number };
      if (typeof stats.fsTotalSize !== 'number' || typeof stats.fsUsedSize !== 'number') return undefined;
      return { freeBytes: stats.fsTotalSize - stats.fsUsedSize, where: 'the MongoDB server' };
    },
    async removeLeftovers() {
      const c = await connect();
      const present = new Set((await c.db('admin').admin().listDatabases({ nameOnly: true })).databases.map((d) => d.name));
      const removed: string[] = [];
      // Only the scratch names this configuration would make: a database that merely starts with drill_ is never touched.
      for (const db of live) {
        const name = scratchOf(db);
        if (!present.has(name)) continue;
        await c.db(name).dropDatabase();
        removed.push(`mongo ${name}`);
      }
      return removed;
    },
    async drill(artifacts: Artifact[], ctx: DrillContext) {
      const c = await connect();
      const expected: Fingerprints = {};
      const actual: Fingerprints = {};
      let compared: 'manifest' | 'archive' = 'manifest';
      let records = 0;
      let bytes = 0;
      for (const a of artifacts) {
        const db = databaseOf(a);
        if (!db) throw new StoreError('mongo', `${a.path} does not name its database in the manifest`);
        const scratch = scratchOf(db);
        const file = join(ctx.root, a.path);
        const summary = await scanArchive(file, { decodeDocuments: true, signal: ctx.signal });
        if (summary.problems.length > 0) return { ok: false, records, bytes, compared, difference: `${a.path}: ${summary.problems[0]}` };
        try {
          const counts = await restoreArchive(c, file, summary, { signal: ctx.signal, databases: [db], renameDb: (d) => (d === db ? scratch : scratchOf(d)) });
          records += Object.values(counts).reduce((n, v) => n + v, 0);
          bytes += a.bytes;
          const recorded = decodeFingerprints(a.meta?.['fingerprints']);
          if (!recorded) compared = 'archive';
          Object.assign(expected, recorded ?? (await fromArchive(file, ctx.signal)));
          Object.assign(actual, await readBack(c, scratch, db, ctx.signal));
        } catch (err) {
          if (ctx.signal.aborted) throw err;
          return { ok: false, records, bytes, compared, difference: `restoring ${a.path} into ${scratch} failed: ${reason(err)}` };
        } finally {
          await c.db(scratch).dropDatabase().catch(() => undefined);
        }
      }
      const difference = firstDifference(expected, actual);
      return difference ? { ok: false, records, bytes, compared, difference } : { ok: true, records, bytes, compared };
    },
    async close() {
      const x = client;
      client = undefined;
      await x?.close();
    },
  };
}
