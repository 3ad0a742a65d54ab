/**
 * Adoption of the OpenCRVS scripts' MongoDB files: `mongo/<db>-<label>.gz`, written by
 * `mongodump --gzip --archive`. Each file is checksummed and read through in full (every document
 * decoded, every namespace's CRC checked) so the manifest records the counts the archive holds.
 */
import { join } from 'node:path';
import { sha256File, fileSize } from '../../backup/checksum.ts';
import { StoreError } from '../../errors.ts';
import type { Artifact, StoreContext } from '../types.ts';
import { scanArchive } from './archive-scan.ts';

/** Artifacts for the configured databases that have a file for `label`; [] when none has. */
export async function adoptMongo(databases: string[], label: string, ctx: StoreContext): Promise<Artifact[]> {
  const artifacts: Artifact[] = [];
  const absent: string[] = [];
  for (const db of databases) {
    const path = `mongo/${db}-${label}.gz`;
    const file = join(ctx.root, path);
    if ((await fileSize(file)) === undefined) {
      absent.push(db);
      continue;
    }
    const started = Date.now();
    ctx.progress({ store: 'mongo', message: `reading ${path}` });
    const summary = await scanArchive(file, { decodeDocuments: true, signal: ctx.signal });
    if (summary.problems.length > 0) throw new StoreError('mongo', `${path} is not a sound mongodump archive: ${summary.problems.slice(0, 5).join('; ')}`);
    const foreign = summary.collections.filter((c) => c.db !== db && !['', 'admin'].includes(c.db));
    if (foreign.length > 0) throw new StoreError('mongo', `${path} holds ${foreign[0]?.ns}, not a collection of database ${db}`);
    // Hashed after the scan: a file that changes in between fails verify, which re-reads both.
    const { sha256, bytes } = await sha256File(file);
    const meta: Artifact['meta'] = {
      database: db,
      format: 'mongodump-archive-gzip',
      collections: summary.collections.filter((c) => c.info.type === 'collection').map((c) => c.collection),
      indexes: summary.collections.reduce((n, c) => n + c.info.indexes.length, 0),
    };
    if (summary.header?.server_version) meta['serverVersion'] = summary.header.server_version;
    if (summary.header?.tool_version) meta['toolVersion'] = summary.header.tool_version;
    const views = summary.collections.filter((c) => c.info.type === 'view').map((c) => c.collection);
    if (views.length > 0) meta['views'] = views;
    artifacts.push({ store: 'mongo', path, kind: 'file', bytes, sha256, counts: summary.counts, durationMs: Date.now() - started, meta });
  }
  if (artifacts.length > 0 && absent.length > 0) {
    // Older OpenCRVS versions have fewer databases: not an error, but worth saying.
    ctx.progress({ store: 'mongo', message: `no file for database ${absent.join(', ')}: not part of this set` });
  }
  return artifacts;
}
