/**
 * Which moments can be restored to, and from what: a base backup (in a complete set) that was
 * consistent before the moment, and the WAL of its stream archived past the moment. The plan also
 * names the nightly set the other stores return to: the newest complete set taken before the moment.
 */
import { isComplete, listManifests } from '../backup/manifest.ts';
import { InputError } from '../errors.ts';
import { BASE_FORMAT } from './base-backup.ts';
import { isStreamName, readProgress } from './wal.ts';

export interface BaseBackup {
  label: string;
  path: string;
  sha256: string;
  timeline: number;
  startLsn: string;
  startSegment: string;
  walSegmentBytes: number;
  consistentAt: Date;
  stream: string;
}

export interface PitrPlan {
  /** The moment, as an ISO text with offset. */
  target: string;
  base: BaseBackup;
  /** The archive holds everything committed up to here in the base backup's stream. */
  completeAt: string;
  /** The nightly set the other stores return to (undefined when none was taken before the moment). */
  nightly: string | undefined;
}

export interface PossibleRange {
  from: Date;
  to: Date;
  stream: string;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Base backups of complete sets, newest first. */
export async function listBaseBackups(root: string): Promise<BaseBackup[]> {
  const out: BaseBackup[] = [];
  for (const { manifest } of await listManifests(root)) {
    // A set whose other stores retention has pruned still holds a usable base backup.
    if (!manifest.stores.every((s) => s.ok) || (manifest.pruned ?? []).includes('postgres')) continue;
    for (const a of manifest.artifacts) {
      const m = a.meta ?? {};
      if (a.store !== 'postgres' || m['format'] !== BASE_FORMAT) continue;
      const stream = str(m['stream']);
      const consistentAt = str(m['consistentAt']);
      const startLsn = str(m['startLsn']);
      const startSegment = str(m['startSegment']);
      if (!stream || !isStreamName(stream) || !consistentAt || !startLsn || !startSegment) continue;
      out.push({
        label: manifest.label,
        path: a.path,
        sha256: a.sha256,
        timeline: Number(m['timeline'] ?? 1),
        startLsn,
        startSegment,
        walSegmentBytes: Number(m['walSegmentBytes'] ?? 16 * 1024 * 1024),
        consistentAt: new Date(consistentAt),
        stream,
      });
    }
  }
  return out.sort((a, b) => b.consistentAt.getTime() - a.consistentAt.getTime());
}

/** The moments that can be restored to: one range per stream with a base backup, oldest first. */
export async function possibleRanges(root: string): Promise<PossibleRange[]> {
  const bases = await listBaseBackups(root);
  const ranges: PossibleRange[] = [];
  for (const stream of new Set(bases.map((b) => b.stream))) {
    const progress = await readProgress(root, stream);
    if (!progress?.completeAt) continue;
    const to = new Date(progress.completeAt);
    const from = bases.filter((b) => b.stream === stream).reduce((min, b) => (b.consistentAt < min ? b.consistentAt : min), to);
    if (from <= to) ranges.push({ from, to, stream });
  }
  return ranges.sort((a, b) => a.from.getTime() - b.from.getTime());
}

export function describeRanges(ranges: PossibleRange[], show: (d: Date) => string): string {
  if (ranges.length === 0) return 'no moment can be restored to yet: there is no base backup with archived WAL after it (the nightly backup takes one)';
  return `possible: ${ranges.map((r) => `${show(r.from)} → ${show(r.to)}`).join(', ')}`;
}

/** The plan for restoring to `target`, or an InputError naming the possible range. */
export async function planPitr(root: string, target: Date, show: (d: Date) => string = (d) => d.toISOString()): Promise<PitrPlan> {
  const bases = await listBaseBackups(root);
  for (const base of bases) {
    if (base.consistentAt > target) continue;
    const progress = await readProgress(root, base.stream);
    if (!progress?.completeAt || new Date(progress.completeAt) < target) continue;
    const nightly = (await listManifests(root)).find((m) => isComplete(m.manifest) && new Date(m.manifest.createdAt) <= target && !m.manifest.label.startsWith('pre-restore'));
    return { target: target.toISOString(), base, completeAt: progress.completeAt, nightly: nightly?.manifest.label };
  }
  throw new InputError(`PostgreSQL cannot be restored to ${show(target)}: ${describeRanges(await possibleRanges(root), show)}.`, 'pitr_out_of_range');
}
