/** Shared shapes of the offsite copy: progress events, retry policy, the remote record of a set. */
import { z } from 'zod';

/** One progress event; `message` is a short line fit for a thread or a log. */
export interface OffsiteProgress {
  phase: 'connect' | 'upload' | 'bytes' | 'uploaded' | 'skip' | 'verified' | 'retry' | 'prune' | 'download' | 'done';
  message: string;
  /** Remote path relative to the set (or to the remote folder for the Elasticsearch mirror). */
  path?: string;
  bytes?: number;
  attempt?: number;
}

export type ProgressFn = (p: OffsiteProgress) => void;

/** Bounded exponential backoff for a broken connection. */
export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 2000, maxDelayMs: 30_000 };

/**
 * `<remote dir>/<label>/offsite.json`, written just before the manifest: what was stored and the
 * sha256 of the stored bytes (for an encrypted file, of the ciphertext).
 */
export const offsiteRecordSchema = z.object({
  format: z.literal(1),
  label: z.string(),
  encrypted: z.boolean(),
  files: z.array(
    z.object({
      /** Path of the plain file relative to the backup root. */
      path: z.string(),
      /** Path of the stored file relative to the set folder (with `.enc` when encrypted). */
      remote: z.string(),
      bytes: z.number(),
      sha256: z.string(),
    }),
  ),
});

export type OffsiteRecord = z.infer<typeof offsiteRecordSchema>;

/** File name of the record inside a remote set folder. */
export const RECORD_NAME = 'offsite.json';
