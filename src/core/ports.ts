/**
 * What the chat surfaces (Slack commands, the CLI, the local console) need from the core.
 * Commands call only this; they never touch a store. The implementation (src/core/core.ts) puts
 * work on the BullMQ queue and reads manifests/history; tests may pass their own.
 */
import type { PitrPlan } from '../pitr/range.ts';
import type { FileIdentity } from '../backup/identity.ts';
import type { StoreName } from '../stores/types.ts';

/** A backup set as listed to users. */
export interface SetSummary {
  label: string;
  /** ISO time the set was made. */
  createdAt: string;
  /** True when its manifest exists and every store succeeded. */
  complete: boolean;
  /** Stores that failed, when partial. */
  failedStores: StoreName[];
  bytes: number;
  /** sha256 of the manifest file (what approvals bind to). */
  manifestSha256: string | undefined;
  /** Where the set is: here, on the backup server, or both. */
  location: 'local' | 'remote' | 'both';
}

export interface StoreComparison {
  store: StoreName;
  /** Records now in the store (sum), undefined when it cannot be read. */
  current: number | undefined;
  /** Records in the set (sum). */
  inSet: number;
}

export type RestoreValidation =
  /** `untouched`: configured stores the set holds no backup of: a restore leaves them as they are. */
  /** `files`: each file read in full and found sound, with its size and mtime then (what an approval click compares). */
  | { ok: true; set: SetSummary; comparison: StoreComparison[]; untouched: StoreName[]; notes?: string[]; files?: FileIdentity[] }
  | { ok: false; problems: string[]; nearest: string[] };

/** An approval click's cheap check of the set: its manifest now, and how its files differ from those recorded at the request. */
export type SetUnchanged = { ok: true; manifestSha256: string; changes: string[] } | { ok: false; problems: string[] };

export interface BackupRequest {
  label?: string;
  stores?: StoreName[];
  /** Who asked: a Slack user id, `cli`, or `schedule`. */
  requestedBy: string;
  /** Where to report progress (Slack thread), when asked from Slack. */
  report?: { channel: string; threadTs?: string };
  /** Only the restore drill of the set (label, or the newest complete one), no backup. */
  drill?: boolean;
}

export interface RestoreRequest {
  /** Deterministic id; also the BullMQ job id (so any number of approvals enqueue one job). */
  requestId: string;
  label: string;
  manifestSha256: string;
  requestedBy: string;
  approvedBy: string[];
  stores?: StoreName[];
  report: { channel: string; threadTs: string };
  /** Restore to a moment (ISO): PostgreSQL from its base backup and WAL, the other stores from `label`. */
  at?: string;
}

export interface StatusInfo {
  running: Array<{ id: string; kind: 'backup' | 'restore' | 'drill'; label: string; startedAt: string }>;
  lastComplete: SetSummary | undefined;
  nextRun: string | undefined;
  lock: { holder: string; since: string } | undefined;
}

export interface HistoryEntry {
  id: string;
  kind: 'backup' | 'restore' | 'drill';
  label: string;
  startedAt: string;
  finishedAt: string | undefined;
  outcome: 'ok' | 'partial' | 'failed' | 'running';
  summary: string;
}

export interface BotCore {
  enqueueBackup(req: BackupRequest): Promise<{ jobId: string }>;
  listSets(): Promise<SetSummary[]>;
  status(): Promise<StatusInfo>;
  history(limit: number): Promise<HistoryEntry[]>;
  /** Checks the set exists (locally or on the backup server), is complete and its checksums match. */
  validateForRestore(labelOrDate: string): Promise<RestoreValidation>;
  /**
   * The check at an approval click: the manifest's sha256 now and each file's size and mtime
   * against `files` (recorded by the request's full verification). Reads no file in full.
   */
  confirmUnchanged?(label: string, files: FileIdentity[]): Promise<SetUnchanged>;
  enqueueRestore(req: RestoreRequest): Promise<{ jobId: string; created: boolean }>;
  /** Plans a restore of PostgreSQL to `at`; InputError naming the possible range when it cannot be done. */
  planRestoreToMoment?(at: Date): Promise<PitrPlan>;
}
