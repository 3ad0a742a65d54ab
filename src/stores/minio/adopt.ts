/**
 * Adoption of the OpenCRVS scripts' MinIO file: `minio/<bucket>-<label>.tar.gz`, a tarball of
 * MinIO's data folder. It is read to its end (gzip CRC, tar structure) and hashed in the same pass;
 * object counts are not knowable from MinIO's private on-disk format, so they stay unknown.
 */
import { join } from 'node:path';
import { fileSize } from '../../backup/checksum.ts';
import { StoreError } from '../../errors.ts';
import type { Artifact, StoreContext } from '../types.ts';
import { inspectArchive } from './inspect.ts';

/** Artifacts for the configured buckets that have a file for `label`; [] when none has. */
export async function adoptLegacyTarballs(buckets: string[], label: string, ctx: StoreContext): Promise<Artifact[]> {
  const artifacts: Artifact[] = [];
  for (const bucket of buckets) {
    const path = `minio/${bucket}-${label}.tar.gz`;
    const abs = join(ctx.root, path);
    if ((await fileSize(abs)) === undefined) continue;
    const started = Date.now();
    ctx.progress({ store: 'minio', message: `reading ${path}` });
    const inspection = await inspectArchive(abs, buckets, ctx.signal);
    if (inspection.kind !== 'legacy') {
      throw new StoreError('minio', `${path} is an object archive of this bot, not a tarball of the old scripts: its set was interrupted before its manifest was written`);
    }
    if (inspection.problems.length > 0 || !inspection.file) {
      throw new StoreError('minio', `${path} is not a sound tarball of a MinIO data folder: ${inspection.problems.slice(0, 5).join('; ') || 'it could not be read'}`);
    }
    artifacts.push({
      store: 'minio',
      path,
      kind: 'file',
      bytes: inspection.file.bytes,
      sha256: inspection.file.sha256,
      counts: {},
      durationMs: Date.now() - started,
      meta: { bucket, format: 'legacy-datadir', entries: inspection.entries, markers: inspection.markers.sort(), countsKnown: false },
    });
  }
  return artifacts;
}
