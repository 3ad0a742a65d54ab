/**
 * Retention of the WAL archive follows the base backups: WAL is kept back to the start of the
 * oldest base backup still held by a set, never less. Older streams without a base backup go;
 * in a stream with base backups, segments before the earliest one's start go. Streams newer than
 * every base backup (waiting for tonight's) are kept whole, and the current stream is never removed.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { listBaseBackups } from './range.ts';
import { currentStream, isStreamName, SEGMENT, streamDir, walRoot } from './wal.ts';

/** Removes WAL no retained base backup needs; returns what was removed (`<stream>` or `<stream>/<segment>`). */
export async function pruneWal(backupRoot: string, opts: { dryRun?: boolean } = {}): Promise<string[]> {
  const bases = await listBaseBackups(backupRoot);
  if (bases.length === 0) return [];
  let streams: string[];
  try {
    streams = (await readdir(walRoot(backupRoot))).filter(isStreamName).sort();
  } catch {
    return [];
  }
  const current = await currentStream(backupRoot);
  const firstStart = new Map<string, string>();
  for (const b of bases) {
    const seen = firstStart.get(b.stream);
    if (seen === undefined || b.startSegment < seen) firstStart.set(b.stream, b.startSegment);
  }
  const oldestStream = [...firstStart.keys()].sort()[0] as string;
  const removed: string[] = [];
  for (const stream of streams) {
    if (stream === current) continue;
    const start = firstStart.get(stream);
    if (start === undefined) {
      if (stream < oldestStream) {
        if (!opts.dryRun) await rm(streamDir(backupRoot, stream), { recursive: true, force: true });
        removed.push(stream);
      }
      continue;
    }
    removed.push(...(await pruneBefore(backupRoot, stream, start, opts.dryRun === true)));
  }
  const start = firstStart.get(current);
  if (start !== undefined) removed.push(...(await pruneBefore(backupRoot, current, start, opts.dryRun === true)));
  return removed;
}

async function pruneBefore(backupRoot: string, stream: string, start: string, dryRun: boolean): Promise<string[]> {
  const dir = streamDir(backupRoot, stream);
  const out: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const seg = name.endsWith('.sha256') ? name.slice(0, -7) : name.endsWith('.partial') ? '' : name;
    // Same timeline only: a segment of another timeline is compared by its position, not its name.
    if (!SEGMENT.test(seg) || seg.slice(0, 8) !== start.slice(0, 8) || seg >= start) continue;
    if (!dryRun) await rm(join(dir, name), { force: true });
    if (name === seg) out.push(`${stream}/${seg}`);
  }
  return out;
}
