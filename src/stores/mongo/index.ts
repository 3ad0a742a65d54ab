/**
 * The MongoDB store: one gzipped mongodump-format archive per configured database,
 * `mongo/<db>-<label>.gz`, compatible with `mongorestore --gzip --archive`.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { MongoClient } from 'mongodb';
import type { Config } from '../../config.ts';
import type { Logger } from '../../log.ts';
import { BotError, StoreError, VerificationError } from '../../errors.ts';
import type { Artifact, Counts, StoreAdapter, StoreContext } from '../types.ts';
import { adoptMongo } from './adopt.ts';
import { scanArchive, type ArchiveSummary } from './archive-scan.ts';
import { connectMongo, reason, serverVersion } from './client.ts';
import { dumpDatabase } from './dump.ts';
import { countCollections } from './namespaces.ts';
import { mapLimit } from '../../parallel.ts';
import { restoreArchive } from './restore.ts';
import { readPrelude } from './prelude.ts';
import { unchangedSinceVerified } from '../../backup/identity.ts';
import { encodeFingerprints } from '../../drill/fingerprint.ts';

/** Archives (one per database) verified or loaded at once: two keep both cores busy without starving the server. */
const PARALLEL_ARCHIVES = 2;

const TOOL_VERSION = 'crvs-backup-bot 0.1.0';

/** The relative path of a database's archive in a set. */
export function mongoArtifactPath(db: string, label: string): string {
  return `mongo/${db}-${label}.gz`;
}

function wrap(err: unknown, what: string): BotError {
  if (err instanceof BotError) return err;
  return new StoreError('mongo', `${what}: ${reason(err)}`, { cause: err });
}

/** Problems of one artifact: the archive itself, then its counts against the manifest's. */
async function checkArtifact(a: Artifact, root: string, signal: AbortSignal): Promise<{ summary: ArchiveSummary; problems: string[] }> {
  const summary = await scanArchive(join(root, a.path), { decodeDocuments: true, signal });
  const problems = summary.problems.map((p) => `${a.path}: ${p}`);
  // A file put under another database's name must not overwrite that database on restore.
  const database = a.meta?.['database'];
  for (const c of summary.collections) {
    if (typeof database === 'string' && c.db !== database && !['', 'admin'].includes(c.db)) {
      problems.push(`${a.path}: holds ${c.ns}, not a collection of database ${database}`);
    }
  }
  if (summary.problems.length === 0) {
    for (const [ns, expected] of Object.entries(a.counts)) {
      const found = summary.counts[ns];
      if (found === undefined) problems.push(`${a.path}: ${ns} is in the manifest but not in the archive`);
      else if (found !== expected) problems.push(`${a.path}: ${ns} has ${found} documents, the manifest ${expected}`);
    }
    for (const ns of Object.keys(summary.counts)) {
      if (!(ns in a.counts)) problems.push(`${a.path}: ${ns} is in the archive but not in the manifest`);
    }
  }
  return { summary, problems };
}

/**
 * Before a drop, for archives the restore job verified in full moments ago: unchanged since (size,
 * mtime), and the plan (collections, options, indexes) read from each prelude, with the verified counts.
 */
async function fromVerified(mine: Artifact[], ctx: StoreContext): Promise<Array<{ a: Artifact; summary: ArchiveSummary; problems: string[] }>> {
  const verified = ctx.verified;
  if (!verified) throw new Error('fromVerified needs a verification');
  return mapLimit(mine, PARALLEL_ARCHIVES, async (a) => {
    const changed = await unchangedSinceVerified(ctx.root, verified, [a]);
    if (changed.length > 0) return { a, summary: { header: undefined, collections: [], counts: {}, problems: [] }, problems: changed.map((p) => `${p} (changed since the set was verified)`) };
    const summary = await readPrelude(join(ctx.root, a.path), a.counts, ctx.signal);
    const problems = summary.problems.map((p) => `${a.path}: ${p}`);
    const announced = new Set(summary.collections.filter((c) => c.info.type !== 'view').map((c) => c.ns));
    const same = announced.size === Object.keys(a.counts).length && Object.keys(a.counts).every((ns) => announced.has(ns));
    if (problems.length === 0 && !same) problems.push(`${a.path}: its prelude announces other collections than the verified archive (changed since the set was verified)`);
    return { a, summary, problems };
  });
}

/** The MongoDB adapter; connects lazily (bounded by CONNECT_TIMEOUT_SECONDS) on first use. */
export function createMongoAdapter(config: Config, logger?: Logger): StoreAdapter {
  let client: MongoClient | undefined;
  const connect = async (): Promise<MongoClient> => {
    client ??= await connectMongo({
      url: config.mongo.url,
      connectTimeoutMs: config.connectTimeoutMs,
      operationTimeoutMs: config.storeTimeoutMs,
    });
    return client;
  };

  return {
    name: 'mongo',

    async version() {
      try {
        return (await serverVersion(await connect())).label;
      } catch (err) {
        throw wrap(err, 'version query failed');
      }
    },

    async backup(ctx: StoreContext) {
      const c = await connect();
      let version: string;
      try {
        version = (await serverVersion(c)).version;
      } catch (err) {
        throw wrap(err, 'version query failed');
      }
      await mkdir(join(ctx.root, 'mongo'), { recursive: true });
      const artifacts: Artifact[] = [];
      for (const db of config.mongo.databases) {
        const started = Date.now();
        const path = mongoArtifactPath(db, ctx.label);
        try {
          const r = await dumpDatabase(c, db, join(ctx.root, path), {
            serverVersion: version,
            toolVersion: TOOL_VERSION,
            signal: ctx.signal,
            onCollection: (ns, n) => ctx.progress({ store: 'mongo', message: `${ns}: ${n} documents` }),
          });
          ctx.progress({ store: 'mongo', message: `${path} written`, bytes: r.bytes });
          logger?.info({ path, bytes: r.bytes, ms: Date.now() - started, missing: r.missing }, 'mongo archive written');
          const meta: Artifact['meta'] = {
            database: db,
            format: 'mongodump-archive-gzip',
            serverVersion: version,
            collections: r.collections,
            indexes: r.indexes,
            uncompressedBytes: r.uncompressedBytes,
          };
          if (r.views.length > 0) meta['views'] = r.views;
          meta['fingerprints'] = encodeFingerprints(r.fingerprints);
          // A configured database the server lacks is a failure, named: never a silently empty file.
          if (r.missing) throw new StoreError('mongo', `the server has no database "${db}" (MONGO_DATABASES, or the OpenCRVS version's list): nothing of it could be backed up`);
          artifacts.push({ store: 'mongo', path, kind: 'file', bytes: r.bytes, sha256: r.sha256, counts: r.counts, durationMs: Date.now() - started, meta });
        } catch (err) {
          if (ctx.signal.aborted) throw err;
          throw wrap(err, `backup of database ${db} failed`);
        }
      }
      return artifacts;
    },

    async verify(artifacts: Artifact[], ctx: StoreContext) {
      const problems: string[] = [];
      const checked = await mapLimit(artifacts.filter((x) => x.store === 'mongo'), PARALLEL_ARCHIVES, (a) => checkArtifact(a, ctx.root, ctx.signal));
      for (const r of checked) problems.push(...r.problems);
      return problems;
    },

    async counts(): Promise<Counts> {
      const c = await connect();
      const out: Counts = {};
      try {
        for (const db of config.mongo.databases) Object.assign(out, await countCollections(c.db(db)));
      } catch (err) {
        throw wrap(err, 'counting documents failed');
      }
      return out;
    },

    async restore(artifacts: Artifact[], ctx: StoreContext) {
      const mine = artifacts.filter((x) => x.store === 'mongo');
      // Every archive is checked before anything is dropped: a bad file leaves the data untouched.
      // Verified in full moments ago (the restore job): its files unchanged since, and the plan
      // read from each prelude. Otherwise (CLI, drill): each archive is read in full here.
      const checked = ctx.verified ? await fromVerified(mine, ctx) : await mapLimit(mine, PARALLEL_ARCHIVES, async (a) => {
        ctx.onFullRead?.(a.path);
        return { a, ...(await checkArtifact(a, ctx.root, ctx.signal)) };
      });
      const problems = checked.flatMap((r) => r.problems);
      if (problems.length > 0) throw new VerificationError(ctx.label, problems);
      const c = await connect();
      const counts: Counts = {};
      // Each archive is one database: they load side by side (like mongorestore's parallel
      // collections), and every started load is awaited before a failure is reported.
      await mapLimit(checked, PARALLEL_ARCHIVES, async ({ a, summary }) => {
        const database = typeof a.meta?.['database'] === 'string' ? a.meta['database'] : undefined;
        try {
          ctx.progress({ store: 'mongo', message: `restoring ${a.path}` });
          Object.assign(
            counts,
            await restoreArchive(c, join(ctx.root, a.path), summary, {
              signal: ctx.signal,
              ...(database ? { databases: [database] } : {}),
              onCollection: (ns, n) => ctx.progress({ store: 'mongo', message: `${ns}: ${n} documents restored` }),
            }),
          );
        } catch (err) {
          if (ctx.signal.aborted) throw err;
          throw wrap(err, `restore of ${a.path} failed`);
        }
      });
      // The load's own read checked every namespace's CRC-64; a file replaced under it (same
      // structure, other bytes) shows here at least by its size or modification time.
      if (ctx.verified) {
        const changed = await unchangedSinceVerified(ctx.root, ctx.verified, mine);
        if (changed.length > 0) throw new StoreError('mongo', `archive changed during restore: ${changed.join('; ')}`);
      }
      return counts;
    },

    adopt: (label: string, ctx: StoreContext) => adoptMongo(config.mongo.databases, label, ctx),

    async close() {
      const c = client;
      client = undefined;
      await c?.close();
    },
  };
}
