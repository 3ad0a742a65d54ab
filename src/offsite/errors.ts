/** Errors of the offsite copy. `retryable` tells the copy loop whether another try can help. */
import { BotError } from '../errors.ts';

export type OffsiteErrorCode =
  | 'offsite_not_configured'
  | 'offsite_host_key'
  | 'offsite_connect'
  | 'offsite_transfer'
  | 'offsite_checksum'
  | 'offsite_local_mismatch'
  | 'offsite_local_file'
  | 'offsite_remote_command'
  | 'offsite_bad_manifest'
  | 'offsite_no_manifest'
  | 'offsite_bad_path'
  | 'offsite_no_such_set'
  | 'offsite_key_required';

const RETRYABLE = new Set<OffsiteErrorCode>(['offsite_connect', 'offsite_transfer', 'offsite_checksum', 'offsite_remote_command']);

/** A failure of the offsite copy, with a message fit for a user (no secrets, no stack). */
export class OffsiteError extends BotError {
  readonly retryable: boolean;
  readonly offsiteCode: OffsiteErrorCode;
  constructor(code: OffsiteErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, 1, options);
    this.offsiteCode = code;
    this.retryable = RETRYABLE.has(code);
  }
}

/** Wraps anything thrown by the SSH layer as a retryable transfer error, keeping our own errors. */
export function asOffsiteError(err: unknown, what: string): BotError {
  if (err instanceof BotError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new OffsiteError('offsite_transfer', `${what}: ${msg}`, { cause: err });
}

/** A local file of the set that cannot be opened or read (not retryable: another try reads the same disk). */
export function localFileError(path: string, err: unknown): OffsiteError {
  const msg = err instanceof Error ? err.message : String(err);
  return new OffsiteError('offsite_local_file', `cannot read ${path}: ${msg}`, { cause: err });
}
