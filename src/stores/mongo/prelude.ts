/**
 * The plan of a load read from an archive's prelude only (its header and the collections it
 * announces, with their options and indexes): what a restore needs before its first insert when
 * the whole archive was verified moments ago. Reads up to the first data segment, not the file.
 */
import type { Readable } from 'node:stream';
import { BSON } from 'mongodb';
import { z } from 'zod';
import { namespaceOf, type CollectionInfo } from './archive-format.ts';
import { readArchive } from './archive-reader.ts';
import { openArchive, type ArchiveCollection, type ArchiveSummary } from './archive-scan.ts';

const metadataSchema = z.object({
  options: z.record(z.unknown()).optional(),
  indexes: z.array(z.record(z.unknown())).nullish(),
  uuid: z.string().optional(),
  collectionName: z.string().optional(),
  type: z.string().optional(),
});

function collectionInfo(text: string, collection: string, type: string | undefined): CollectionInfo {
  if (text.trim() === '') return { options: {}, indexes: [], collectionName: collection, type: type ?? 'collection' };
  const m = metadataSchema.parse(BSON.EJSON.parse(text, { relaxed: false }));
  return {
    options: m.options ?? {},
    indexes: m.indexes ?? [],
    ...(m.uuid ? { uuid: m.uuid } : {}),
    collectionName: m.collectionName ?? collection,
    type: type || m.type || (m.options?.['viewOn'] ? 'view' : 'collection'),
  };
}

/**
 * The summary a restore plans with, from the prelude; `counts` are the verified ones (the full
 * verification found the archive's equal to these). Problems when the prelude cannot be read.
 */
export async function readPrelude(file: string, counts: Record<string, number>, signal: AbortSignal): Promise<ArchiveSummary> {
  const summary: ArchiveSummary = { header: undefined, collections: [], counts: { ...counts }, problems: [] };
  let stream: Readable | undefined;
  try {
    stream = await openArchive(file);
    for await (const ev of readArchive(stream)) {
      signal.throwIfAborted();
      if (ev.kind === 'header') {
        summary.header = ev.header;
        continue;
      }
      if (ev.kind !== 'collection') break;
      const { db, collection, type, metadata } = ev.meta;
      const entry: ArchiveCollection = { ns: namespaceOf(db, collection), db, collection, info: collectionInfo(metadata, collection, type) };
      summary.collections.push(entry);
    }
  } catch (err) {
    if (signal.aborted) throw err;
    summary.problems.push(`its prelude cannot be read (${(err as Error).message.slice(0, 200)})`);
  } finally {
    stream?.destroy();
  }
  return summary;
}
