/** The MinIO StoreAdapter: one archive per bucket (format.ts), restored through the S3 API. */
import { pathExists } from '../../backup/checksum.ts';
import { statIdentity, unchangedSinceVerified, type VerifiedSet } from '../../backup/identity.ts';
import { basename, join } from 'node:path';
import type { Client } from 'minio';
import type { Config } from '../../config.ts';
import type { Logger } from '../../log.ts';
import { StoreError, VerificationError } from '../../errors.ts';
import type { Artifact, Counts, StoreAdapter, StoreContext } from '../types.ts';
import { adoptLegacyTarballs } from './adopt.ts';
import { backupBucket } from './backup.ts';
import { bounded, bucketCounts, createMinioClient, serverVersion } from './client.ts';
import { inspectArchive, type Inspection } from './inspect.ts';
import { canRestoreLegacy, manualRestoreError, restoreLegacy, type MinioExec } from './legacy.ts';
import { restoreBucket } from './restore.ts';

export type { MinioExec } from './legacy.ts';

export interface MinioAdapterDeps {
  /** Runs commands on the MinIO host; needed only to restore legacy data-folder tarballs. */
  exec?: MinioExec;
  /** A ready client (tests); built from config.minio otherwise. */
  client?: Client;
}

/** How long one request may stay silent before it counts as lost. */
const IDLE_MS = 120_000;
/** How long MinIO may take to come back after the restart of a legacy restore. */
const RESTART_WAIT_MS = 120_000;
/** How many verified archives' inspections are kept, and for how long (see `inspected`). */
const MEMO_ENTRIES = 4;
const MEMO_MS = 15 * 60_000;

interface Planned {
  artifact: Artifact;
  abs: string;
  bucket: string;
  inspection: Inspection;
}

function bucketOf(a: Artifact, insp: Inspection | undefined, label: string, fallback: string): string {
  const meta = a.meta?.['bucket'];
  if (typeof meta === 'string') return meta;
  if (insp?.kind === 'objects' && insp.header) return insp.header.bucket;
  const name = basename(a.path);
  const suffix = `-${label}.tar.gz`;
  return name.endsWith(suffix) ? name.slice(0, -suffix.length) : fallback;
}

/** The registry calls (config, logger); `deps.exec` enables restores of legacy data-folder tarballs. */
export function createMinioAdapter(config: Config, logger?: Logger, deps: MinioAdapterDeps = {}): StoreAdapter {
  const cfg = config.minio;
  const client = deps.client ?? createMinioClient(cfg, Math.max(IDLE_MS, config.connectTimeoutMs));
  const reach = <T>(what: string, fn: () => Promise<T>): Promise<T> => bounded(what, config.connectTimeoutMs, fn);
  const mine = (artifacts: Artifact[]): Artifact[] => artifacts.filter((a) => a.store === 'minio');

  /**
   * What the last verifications found in sound archives, by absolute path with the file's size and
   * mtime then: a restore right after the restore job's full verification plans from it (the index
   * is the archive's last entry) instead of reading the whole archive once more before the drop.
   * Kept a few minutes at most; the load checks every object's sha256 and the file's as it reads.
   */
  const inspected = new Map<string, { bytes: number; mtimeMs: number; sha256: string; planned: Planned; manual: string[] }>();

  function remember(abs: string, entry: { bytes: number; mtimeMs: number; sha256: string; planned: Planned; manual: string[] }): void {
    inspected.delete(abs);
    inspected.set(abs, entry);
    while (inspected.size > MEMO_ENTRIES) inspected.delete(inspected.keys().next().value as string);
    setTimeout(() => {
      if (inspected.get(abs) === entry) inspected.delete(abs);
    }, MEMO_MS).unref();
  }

  /** Reads one artifact through; problems are prefixed with the file it concerns. */
  async function inspectOne(a: Artifact, ctx: StoreContext): Promise<{ planned: Planned | undefined; problems: string[]; manual: string[] }> {
    const abs = join(ctx.root, a.path);
    const before = await statIdentity(ctx.root, a.path);
    if (!before || !(await pathExists(abs))) return { planned: undefined, problems: [`${a.path}: the file is missing`], manual: [] };
    const inspection = await inspectArchive(abs, cfg.buckets, ctx.signal);
    const bucket = bucketOf(a, inspection, ctx.label, cfg.buckets[0] ?? 'ocrvs');
    const found = [...inspection.problems];
    if (inspection.file && a.sha256 && inspection.file.sha256 !== a.sha256) found.push('the file does not match the checksum in the manifest');
    if (inspection.kind === 'objects') {
      if (inspection.header && inspection.header.bucket !== bucket) found.push(`it holds bucket "${inspection.header.bucket}", not "${bucket}"`);
      const want = a.counts[`${bucket}.objects`];
      if (want !== undefined && want !== inspection.records.length) found.push(`${inspection.records.length} objects in the file, ${want} in the manifest`);
    }
    const manual: string[] = [];
    // Said at verify time so a set restore stops before any store is wiped, not at MinIO's turn.
    if (inspection.kind === 'legacy' && found.length === 0 && !canRestoreLegacy(cfg, deps.exec)) {
      manual.push(manualRestoreError(abs, cfg.dataDir).message.replace(/^minio: /, ''));
    }
    const planned = { artifact: a, abs, bucket, inspection };
    const after = await statIdentity(ctx.root, a.path);
    if (found.length === 0 && inspection.file && after && after.bytes === before.bytes && after.mtimeMs === before.mtimeMs) {
      remember(abs, { ...before, sha256: inspection.file.sha256, planned, manual });
    }
    return { planned, problems: found.map((p) => `${a.path}: ${p}`), manual };
  }

  /** Reads every artifact through; problems are prefixed with the file they concern. */
  async function inspectAll(artifacts: Artifact[], ctx: StoreContext): Promise<{ planned: Planned[]; problems: string[]; manual: string[] }> {
    const planned: Planned[] = [];
    const problems: string[] = [];
    const manual: string[] = [];
    for (const a of mine(artifacts)) {
      const r = await inspectOne(a, ctx);
      problems.push(...r.problems);
      manual.push(...r.manual);
      if (r.planned) planned.push(r.planned);
    }
    return { planned, problems, manual };
  }

  /**
   * Before the drop, for archives the restore job verified in full moments ago: unchanged since
   * (size, mtime), planned from what that verification found. An archive it cannot vouch for (the
   * verification ran in another process, or too long ago) is read in full here, as without one.
   */
  async function fromVerified(artifacts: Artifact[], ctx: StoreContext, verified: VerifiedSet): Promise<{ planned: Planned[]; problems: string[] }> {
    const planned: Planned[] = [];
    const problems: string[] = [];
    for (const a of mine(artifacts)) {
      const changed = await unchangedSinceVerified(ctx.root, verified, [a]);
      if (changed.length > 0) {
        problems.push(...changed.map((p) => `${p} (changed since the set was verified)`));
        continue;
      }
      const seen = verified.files.get(a.path);
      const memo = inspected.get(join(ctx.root, a.path));
      if (seen && memo && memo.bytes === seen.bytes && memo.mtimeMs === seen.mtimeMs && memo.sha256 === seen.sha256) {
        planned.push(memo.planned);
        continue;
      }
      ctx.onFullRead?.(a.path);
      const r = await inspectOne(a, ctx);
      problems.push(...r.problems);
      if (r.planned) planned.push(r.planned);
    }
    return { planned, problems };
  }

  async function waitForRestart(signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + RESTART_WAIT_MS;
    for (;;) {
      signal.throwIfAborted();
      try {
        await reach('MinIO after restart', () => client.listBuckets());
        return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  return {
    name: 'minio',

    version() {
      return reach('MinIO version', () => serverVersion(client));
    },

    async backup(ctx) {
      await reach('connect to MinIO', () => client.listBuckets());
      const artifacts: Artifact[] = [];
      for (const bucket of cfg.buckets) {
        const a = await backupBucket(client, bucket, ctx);
        logger?.info({ bucket, path: a.path, bytes: a.bytes, counts: a.counts, ms: a.durationMs }, 'minio bucket backed up');
        artifacts.push(a);
      }
      return artifacts;
    },

    async verify(artifacts, ctx) {
      const { problems, manual } = await inspectAll(artifacts, ctx);
      return [...problems, ...manual];
    },

    async counts() {
      await reach('connect to MinIO', () => client.listBuckets());
      return bounded('count MinIO objects', config.storeTimeoutMs, () => bucketCounts(client, cfg.buckets));
    },

    async restore(artifacts, ctx) {
      // Everything is checked before the first object is deleted: read in full here, unless the
      // restore job verified the set moments ago (then its files are checked unchanged since).
      if (!ctx.verified) for (const a of mine(artifacts)) ctx.onFullRead?.(a.path);
      const { planned, problems } = ctx.verified ? await fromVerified(artifacts, ctx, ctx.verified) : await inspectAll(artifacts, ctx);
      if (planned.length === 0 && problems.length === 0) throw new StoreError('minio', 'the set holds no MinIO backup');
      if (problems.length > 0) throw new VerificationError(ctx.label, problems);
      const legacy = planned.find((p) => p.inspection.kind === 'legacy');
      if (legacy && !canRestoreLegacy(cfg, deps.exec)) throw manualRestoreError(legacy.abs, cfg.dataDir);
      await reach('connect to MinIO', () => client.listBuckets());
      const counts: Counts = {};
      for (const p of planned) {
        ctx.progress({ store: 'minio', message: `restoring bucket ${p.bucket} from ${p.artifact.path}` });
        if (p.inspection.kind === 'objects') {
          Object.assign(counts, await restoreBucket(client, p.bucket, p.abs, p.inspection.records, ctx, p.artifact.sha256));
          continue;
        }
        await restoreLegacy(p.abs, p.bucket, cfg, deps.exec, { timeoutMs: config.storeTimeoutMs, signal: ctx.signal });
        await waitForRestart(ctx.signal);
        Object.assign(counts, await bucketCounts(client, [p.bucket]));
        logger?.info({ bucket: p.bucket, path: p.artifact.path }, 'minio legacy data-folder tarball restored');
      }
      return counts;
    },

    adopt: (label, ctx) => adoptLegacyTarballs(cfg.buckets, label, ctx),

    async close() {
      // The client keeps no connection of its own beyond Node's shared agent.
    },
  };
}
