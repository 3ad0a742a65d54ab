/**
 * MinIO scratch target: each bucket of the set is restored into `drill-<bucket>` on the same server
 * (the adapter's own bucket restore, which reads every object back against the sha256 the set's
 * index recorded at backup), then the scratch bucket is emptied and removed. Legacy data-folder
 * tarballs cannot go to a scratch bucket: the drill says so instead of restoring them.
 */
import { join } from 'node:path';
import type { Client } from 'minio';
import type { Config } from '../../config.ts';
import { userMessage } from '../../errors.ts';
import { emptyBucket } from '../../stores/minio/client.ts';
import { createMinioClient } from '../../stores/minio/client.ts';
import { inspectArchive } from '../../stores/minio/inspect.ts';
import { restoreBucket } from '../../stores/minio/restore.ts';
import type { Artifact } from '../../stores/types.ts';
import { scratchName } from '../scratch-names.ts';
import type { DrillContext, DrillTarget } from '../types.ts';

async function removeBucket(client: Client, bucket: string, signal: AbortSignal): Promise<boolean> {
  if (!(await client.bucketExists(bucket))) return false;
  await emptyBucket(client, bucket, signal);
  await client.removeBucket(bucket);
  return true;
}

export function createMinioTarget(config: Config): DrillTarget {
  const live = config.minio.buckets;
  const client = createMinioClient(config.minio, config.storeTimeoutMs);
  // Bucket names are lower case, 3–63 characters: the scratch prefix keeps them valid.
  const scratchOf = (bucket: string): string => scratchName('minio', bucket, live);
  return {
    store: 'minio',
    checkNames() {
      for (const b of live) scratchOf(b);
    },
    neededBytes(artifacts, factor) {
      return artifacts.reduce((n, a) => n + a.bytes, 0) * factor;
    },
    space: async () => undefined,
    async removeLeftovers() {
      const removed: string[] = [];
      for (const b of live) if (await removeBucket(client, scratchOf(b), AbortSignal.timeout(config.storeTimeoutMs))) removed.push(`minio ${scratchOf(b)}`);
      return removed;
    },
    async drill(artifacts: Artifact[], ctx: DrillContext) {
      let records = 0;
      let bytes = 0;
      for (const a of artifacts) {
        const bucket = typeof a.meta?.['bucket'] === 'string' ? a.meta['bucket'] : undefined;
        const abs = join(ctx.root, a.path);
        const inspection = await inspectArchive(abs, bucket ? [bucket] : live, ctx.signal);
        if (inspection.problems.length > 0) return { ok: false, records, bytes, compared: 'archive' as const, difference: `${a.path}: ${inspection.problems[0]}` };
        if (inspection.kind !== 'objects' || !bucket) return { ok: false, records, bytes, compared: 'archive' as const, difference: `${a.path} is a legacy MinIO data-folder tarball: it cannot be restored into a scratch bucket` };
        const scratch = scratchOf(bucket);
        try {
          await removeBucket(client, scratch, ctx.signal);
          const counts = await restoreBucket(client, scratch, abs, inspection.records, { label: ctx.label, root: ctx.root, signal: ctx.signal, progress: () => undefined });
          const objects = counts[`${scratch}.objects`] ?? 0;
          const want = a.counts[`${bucket}.objects`];
          if (want !== undefined && want !== objects) return { ok: false, records, bytes, compared: 'archive' as const, difference: `bucket ${bucket}: ${objects} objects restored, ${want} in the set` };
          records += objects;
          bytes += counts[`${scratch}.bytes`] ?? 0;
        } catch (err) {
          if (ctx.signal.aborted) throw err;
          return { ok: false, records, bytes, compared: 'archive' as const, difference: userMessage(err).replaceAll(scratch, bucket) };
        } finally {
          await removeBucket(client, scratch, AbortSignal.timeout(config.storeTimeoutMs)).catch(() => undefined);
        }
      }
      return { ok: true, records, bytes, compared: 'archive' as const };
    },
    close: async () => undefined,
  };
}
