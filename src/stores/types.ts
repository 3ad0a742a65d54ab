/**
 * The one interface every store adapter implements (MongoDB, Elasticsearch, InfluxDB, MinIO).
 * An adapter never talks to Slack, never reads process.env, and streams: it never holds a whole
 * file, collection or object in memory.
 */
import type { VerifiedSet } from '../backup/identity.ts';

export type StoreName = 'mongo' | 'postgres' | 'elasticsearch' | 'influxdb' | 'minio' | 'folders';

export const STORE_NAMES: readonly StoreName[] = ['mongo', 'postgres', 'elasticsearch', 'influxdb', 'minio', 'folders'];

/** One file (or folder) of a backup set, as recorded in the manifest. */
export interface Artifact {
  store: StoreName;
  /**
   * Path relative to the backup root, e.g. `mongo/hearth-dev-2026-11-26.gz`,
   * `influxdb/2026-11-26` (a folder), `elasticsearch` (the shared snapshot repository folder).
   */
  path: string;
  kind: 'file' | 'dir' | 'es-snapshot';
  /** Total bytes (for a dir: sum of its files; for an es-snapshot: 0, the repository is shared). */
  bytes: number;
  /** sha256 hex of the file; for a dir, of its sorted `"<relpath> <sha256>\n"` lines; for es-snapshot, of the snapshot's uuid. */
  sha256: string;
  /** For a dir: every file with its own checksum. */
  files?: Array<{ path: string; bytes: number; sha256: string }>;
  /** Record counts, keyed by what they count (e.g. `hearth-dev.Patient`, `objects`, `ocrvs-1`). */
  counts: Record<string, number>;
  durationMs: number;
  /** Store-specific details kept in the manifest (e.g. snapshot name and uuid, database name). */
  meta?: Record<string, string | number | boolean | string[]>;
}

export interface Progress {
  store: StoreName;
  message: string;
  /** Bytes written so far, when known. */
  bytes?: number;
}

export interface StoreContext {
  /** Label of the set, e.g. `2026-11-26` or `pre-restore-20261126T0102`. */
  label: string;
  /** Absolute backup root (BACKUP_ROOT). */
  root: string;
  signal: AbortSignal;
  progress(p: Progress): void;
  /**
   * restore only: the set was verified in full moments ago (checksums and structure), and these
   * are the identities of the files it read. An adapter then checks them cheaply (size, mtime)
   * instead of reading its artifacts in full again before the drop. Absent (CLI restore, drill):
   * the adapter runs its own full checks first.
   */
  verified?: VerifiedSet;
  /** Told when the adapter reads a file of the set in full to check it (see BackupDeps.onFullRead). */
  onFullRead?: (path: string) => void;
}

/** Counts of what a store holds now, keyed like Artifact.counts. */
export type Counts = Record<string, number>;

export interface StoreAdapter {
  readonly name: StoreName;
  /** The server's version string; throws StoreError (bounded wait) when unreachable. */
  version(): Promise<string>;
  /** Backs up into the root; returns the artifacts written (checksummed). Throws StoreError. */
  backup(ctx: StoreContext): Promise<Artifact[]>;
  /**
   * Structural check of this store's artifacts of a set, touching no data in the store
   * (read-only metadata such as a snapshot's state is allowed). Returns problems; [] when sound.
   * Checksums are checked by the caller before this is called.
   */
  verify(artifacts: Artifact[], ctx: StoreContext): Promise<string[]>;
  /** What the store holds now, in the same keys as the artifacts' counts. */
  counts(): Promise<Counts>;
  /**
   * Destructive: replaces the store's data by the artifacts' content, then checks counts. Checks
   * every artifact before deleting anything; a VerificationError means nothing was changed (the
   * restore job reports the store as untouched), so it must never be thrown after a delete.
   */
  restore(artifacts: Artifact[], ctx: StoreContext): Promise<Counts>;
  /**
   * The counts a restore of these artifacts must produce, when that is not all of their counts
   * (PostgreSQL restores only the configured schemas). Default: every count of the artifacts.
   */
  expectedAfterRestore?(artifacts: Artifact[]): Counts;
  /**
   * Describes this store's files of `label` as the old OpenCRVS shell scripts wrote them (no
   * manifest): checksummed now, counts only where the files alone tell them, touching no data in
   * the store. [] when the legacy layout holds no file of this store for the label. Throws StoreError
   * when a file is there but unsound.
   */
  adopt?(label: string, ctx: StoreContext): Promise<Artifact[]>;
  /** Removes store-side data of a pruned set (only Elasticsearch has any: the snapshot). */
  prune?(artifacts: Artifact[]): Promise<void>;
  close(): Promise<void>;
}
