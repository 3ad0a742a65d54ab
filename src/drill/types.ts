/** The restore drill's result, and the seam every store's scratch target implements. */
import type { Artifact, StoreName } from '../stores/types.ts';

/** What happened to one store in a drill. */
export interface DrillStoreResult {
  store: StoreName;
  ok: boolean;
  /** Restore into scratch plus read-back, in milliseconds. */
  durationMs: number;
  records: number;
  bytes: number;
  /** The first difference between the set and the scratch copy (or why the store failed). */
  difference?: string;
  /** Where the expected fingerprints came from: the manifest (recorded at backup) or the archive itself (older sets). */
  compared: 'manifest' | 'archive' | 'counts';
}

export interface DrillResult {
  runId: string;
  label: string | undefined;
  startedAt: string;
  finishedAt: string;
  outcome: 'ok' | 'failed' | 'skipped';
  /** Why the drill did not run (skipped) or failed before any store. */
  reason?: string;
  stores: DrillStoreResult[];
  /** Scratch leftovers of an earlier drill removed before this one started. */
  leftoversRemoved: string[];
  durationMs: number;
}

/** Free space where a store's scratch copy would go. */
export interface ScratchSpace {
  freeBytes: number;
  where: string;
}

export interface DrillContext {
  label: string;
  root: string;
  signal: AbortSignal;
  /** How much bigger than the set's (uncompressed) size the scratch copy is assumed to be. */
  spaceFactor: number;
}

/** One store's scratch target: restores a set's artifacts beside the live data, compares, removes. */
export interface DrillTarget {
  readonly store: StoreName;
  /** Throws ScratchNameError when a scratch name would equal a configured live name. */
  checkNames(): void;
  /** Bytes the scratch copy of these artifacts needs (estimated from the set). */
  neededBytes(artifacts: Artifact[], factor: number): number;
  /** Free space where the scratch copy goes; undefined when the server does not tell. */
  space(): Promise<ScratchSpace | undefined>;
  /** Removes what an earlier (crashed) drill left behind; returns the names removed. */
  removeLeftovers(): Promise<string[]>;
  /** Restores into scratch, compares with the set, and removes the scratch (also on failure). */
  drill(artifacts: Artifact[], ctx: DrillContext): Promise<Omit<DrillStoreResult, 'store' | 'durationMs'>>;
  close(): Promise<void>;
}
