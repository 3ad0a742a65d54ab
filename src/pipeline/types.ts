/** The nightly pipeline's inputs and its result (what the report, the history and the CLI show). */
import type { Redis } from 'ioredis';
import type { PitrStatus } from '../pitr/status.ts';
import type { BackupDeps } from '../backup/deps.ts';
import type { HistoryStore } from '../history/history.ts';
import type { Progress, StoreName } from '../stores/types.ts';

/** Free space of one volume. */
export interface DiskSpace {
  freeBytes: number;
  totalBytes: number;
  freePercent: number;
}

/** A set on the backup server, as listed by the offsite module. */
export interface RemoteSetInfo {
  label: string;
  createdAt: string | undefined;
  bytes: number;
  complete: boolean;
  manifestSha256: string | undefined;
}

/**
 * What the pipeline and the core need from the offsite (SFTP) module. The adapter over
 * src/offsite lives in src/pipeline/offsite-adapter.ts.
 */
export interface OffsiteCopier {
  /** Copies the set's files and manifest, then re-reads the remote files' checksums. */
  copySet(label: string, signal: AbortSignal): Promise<{ bytes: number; files: number; remoteChecksumsOk: boolean; detail?: string }>;
  /** Keeps the newest BACKUP_SERVER_KEEP sets on the server. */
  pruneRemote(signal: AbortSignal): Promise<{ removed: string[] }>;
  freeSpace(signal: AbortSignal): Promise<DiskSpace | undefined>;
  listSets(signal: AbortSignal): Promise<RemoteSetInfo[]>;
  /** Downloads a remote set into the local backup root (checksums checked). */
  pullSet(label: string, signal: AbortSignal): Promise<void>;
}

/** Called at the start and end of a run (the Slack daily report; tests pass their own). */
export interface PipelineReporter {
  started(info: { runId: string; label: string | undefined; trigger: 'schedule' | 'manual'; requestedBy: string }): Promise<void>;
  finished(result: PipelineResult): Promise<void>;
}

export interface PipelineDeps {
  backup: BackupDeps;
  /** The connection the shared operations lock (src/lock.ts) is taken on. */
  redis: Redis;
  history: HistoryStore;
  offsite: OffsiteCopier | undefined;
  reporter: PipelineReporter | undefined;
  /** When the nightly runs next (from the scheduler). */
  nextRun: () => Promise<Date | undefined>;
  /** How long a backup waits for the shared lock (e.g. a restore running) before it is skipped. */
  lockWaitMs: number;
  /** Bound on each offsite step (copy, prune, df). */
  offsiteTimeoutMs: number;
}

export interface PipelineRequest {
  runId: string;
  trigger: 'schedule' | 'manual';
  requestedBy: string;
  label?: string;
  stores?: StoreName[];
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface StoreLine {
  store: StoreName;
  ok: boolean;
  error?: string;
  bytes: number;
  records: number;
  durationMs: number;
  /** Change against the previous set holding this store, in percent (by size, or records when size is not comparable). */
  changePercent?: number;
  previousLabel?: string;
  /** True when it shrank by more than SHRINK_WARN_PERCENT. */
  shrank: boolean;
  /**
   * Elasticsearch: snapshots share the repository's files, so `bytes` is 0; these say what the
   * snapshot added (incremental files) and how big the repository is, when recorded.
   */
  snapshot?: { addedBytes: number; addedFiles: number; repositoryBytes?: number };
}

export type StepStatus = 'ok' | 'failed' | 'skipped' | 'not-configured';

export interface PipelineResult {
  runId: string;
  trigger: 'schedule' | 'manual';
  requestedBy: string;
  label: string | undefined;
  manifestSha256: string | undefined;
  startedAt: string;
  finishedAt: string;
  /** ok only when every step succeeded; a partial set is a failure. */
  outcome: 'ok' | 'partial' | 'failed' | 'skipped';
  stores: StoreLine[];
  verify: { status: StepStatus; problems: string[] };
  offsite: { status: StepStatus; detail: string; bytes?: number; remoteChecksumsOk?: boolean };
  retention: { local: { removed: string[]; errors: string[] }; remote: { status: StepStatus; removed: string[]; detail?: string } };
  disk: { local: DiskSpace | undefined; remote: DiskSpace | undefined; warnPercent: number };
  /** Failures: each one is a reason the on-call group is mentioned. */
  problems: string[];
  /** Worth reading, not failures (shrinkage, an expired lock). Low disk is also in problems. */
  warnings: string[];
  nextRun: string | undefined;
  /** Point-in-time recovery of PostgreSQL, when PITR_ENABLED. */
  pitr?: PitrStatus;
}

/** A set shrinking by more than this (percent) against the previous one is flagged. */
export const SHRINK_WARN_PERCENT = 20;
