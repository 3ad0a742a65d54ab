/**
 * The plan of a load read from an archive's prelude only (its header and the collections it
 * announces, with their options and indexes): what a restore needs before its first insert when
 * the whole archive was verified moments ago. Reads up to the first data segment, not the file.
 */
import { namespaceOf } from './archive-format.ts';
import { readArchive } from './archive-reader.ts';
import { openArchive, parseMetadata, type ArchiveCollection, type ArchiveSummary, type OpenedArchive } from './archive-scan.ts';

/**
 * The summary a restore plans with, from the prelude; `counts` are the verified ones (the full
 * verification found the archive's equal to these). Problems when the prelude cannot be read.
 */
export async function readPrelude(file: string, counts: Record<string, number>, signal: AbortSignal): Promise<ArchiveSummary> {
  const summary: ArchiveSummary = { header: undefined, collections: [], counts: { ...counts }, problems: [] };
  let archive: OpenedArchive | undefined;
  try {
    archive = await openArchive(file, signal);
    for await (const ev of readArchive(archive.chunks, archive.release)) {
      signal.throwIfAborted();
      if (ev.kind === 'header') {
        summary.header = ev.header;
        continue;
      }
      if (ev.kind !== 'collection') break;
      const { db, collection, type, metadata } = ev.meta;
      const entry: ArchiveCollection = { ns: namespaceOf(db, collection), db, collection, info: parseMetadata(metadata, collection, type) };
      summary.collections.push(entry);
    }
  } catch (err) {
    if (signal.aborted) throw err;
    summary.problems.push(`its prelude cannot be read (${(err as Error).message.slice(0, 200)})`);
  } finally {
    archive?.close();
  }
  return summary;
}
