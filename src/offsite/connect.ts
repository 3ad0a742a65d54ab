/** The backup server from the configuration, a session around a unit of work, and bounded retries. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config, SshTarget } from '../config.ts';
import { OffsiteError } from './errors.ts';
import { openSession, type RemoteSession } from './session.ts';
import type { ProgressFn, RetryPolicy } from './types.ts';

export type BackupServer = SshTarget & { dir: string; keep: number };

/** The configured backup server; throws when offsite copies are not configured. */
export function requireServer(config: Config): BackupServer {
  if (!config.backupServer) {
    throw new OffsiteError('offsite_not_configured', 'no backup server is configured (BACKUP_SERVER_HOST, BACKUP_SERVER_USER, BACKUP_SERVER_KEY_FILE, BACKUP_SERVER_HOST_KEY)');
  }
  return config.backupServer;
}

/** Opens a session, runs `fn`, always closes. */
export async function withSession<T>(config: Config, fn: (s: RemoteSession, server: BackupServer) => Promise<T>): Promise<T> {
  const server = requireServer(config);
  const s = await openSession(server, { timeoutMs: config.connectTimeoutMs });
  try {
    return await fn(s, server);
  } finally {
    s.close();
  }
}

/**
 * Runs `fn` until it succeeds, retrying only retryable OffsiteErrors (a broken connection, a
 * failed remote command) with exponential backoff; everything else fails at once.
 */
export async function withRetry<T>(policy: RetryPolicy, onProgress: ProgressFn | undefined, fn: (attempt: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!(err instanceof OffsiteError) || !err.retryable) throw err;
      if (attempt >= policy.attempts) {
        throw new OffsiteError(err.offsiteCode, `gave up after ${attempt} tries: ${err.message}`, { cause: err });
      }
      const delay = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      onProgress?.({ phase: 'retry', attempt, message: `${err.message} — trying again in ${(delay / 1000).toFixed(1)} s (try ${attempt + 1} of ${policy.attempts})` });
      await sleep(delay);
    }
  }
}
