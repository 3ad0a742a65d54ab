/**
 * The WAL files a restore to a moment needs, checked in the archive before anything is touched:
 * from the base backup's first segment on, in order without a gap, each sealed one matching its
 * `.sha256`; the `.partial` segment being written last (its data up to the archive's complete
 * point is flushed) is taken as it is, under its final name. Timeline history files come along.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256File } from '../backup/checksum.ts';
import { VerificationError } from '../errors.ts';
import type { PitrPlan } from './range.ts';
import { sealOf } from './seal.ts';
import { HISTORY, nextSegment, parseLsn, readProgress, SEGMENT, segmentOf, streamDir } from './wal.ts';

export interface WalFile {
  dir: string;
  /** The file in the archive. */
  file: string;
  /** Its name for the server (a partial segment without `.partial`). */
  name: string;
  sha256: string;
}

export async function collectWal(backupRoot: string, plan: PitrPlan): Promise<WalFile[]> {
  const { base } = plan;
  const dir = streamDir(backupRoot, base.stream);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    throw new VerificationError(base.label, [`the WAL stream ${base.stream} is missing from the archive`]);
  }
  const have = new Set(names);
  const tli = base.startSegment.slice(0, 8);
  const problems: string[] = [];
  const out: WalFile[] = [];
  for (const h of names.filter((n) => HISTORY.test(n)).sort()) {
    const seal = await sealOf(dir, h);
    const { sha256 } = await sha256File(join(dir, h));
    if (seal !== sha256) problems.push(`${h}: ${seal ? 'sha256 differs from its seal (damaged)' : 'not sealed'}`);
    out.push({ dir, file: h, name: h, sha256 });
  }
  const sealedMax = names.filter((n) => SEGMENT.test(n) && n.startsWith(tli)).sort().at(-1);
  let seg = base.startSegment;
  // Sealed segments, in order, from the base backup's first.
  while (sealedMax !== undefined && seg <= sealedMax) {
    if (!have.has(seg)) {
      problems.push(`WAL segment ${seg} is missing from stream ${base.stream}`);
    } else {
      const seal = await sealOf(dir, seg);
      const { sha256 } = await sha256File(join(dir, seg));
      if (!seal) problems.push(`WAL segment ${seg} is not sealed (no .sha256)`);
      else if (seal !== sha256) problems.push(`WAL segment ${seg}: sha256 differs from its seal (the file is damaged)`);
      out.push({ dir, file: seg, name: seg, sha256 });
    }
    seg = nextSegment(seg, base.walSegmentBytes);
    if (problems.length > 20) break;
  }
  if (have.has(`${seg}.partial`)) {
    const { sha256 } = await sha256File(join(dir, `${seg}.partial`));
    out.push({ dir, file: `${seg}.partial`, name: seg, sha256 });
    seg = nextSegment(seg, base.walSegmentBytes);
  }
  // The archive must reach the moment: the segment of its complete point must be among the files.
  const progress = await readProgress(backupRoot, base.stream);
  if (progress?.completeLsn) {
    const needed = segmentOf(Number.parseInt(tli, 16), parseLsn(progress.completeLsn), base.walSegmentBytes);
    if (needed >= seg) problems.push(`the archive's WAL ends before ${needed}, the segment holding its recorded complete point`);
  }
  if (problems.length > 0) throw new VerificationError(base.label, problems);
  return out;
}
