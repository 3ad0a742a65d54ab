/** What the backup/verify/restore functions need, built once in main.ts (or by a test). */
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { StoreAdapter, StoreName } from '../stores/types.ts';
import { TimeoutError } from '../errors.ts';

export interface BackupDeps {
  config: Config;
  logger: Logger;
  /** One adapter per configured store. */
  adapters: Map<StoreName, StoreAdapter>;
  botVersion: string;
  now?: () => Date;
}

/** Runs a promise bounded by `ms`; the signal given to `fn` aborts when the time is up. */
export async function withTimeout<T>(what: string, ms: number, parent: AbortSignal | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(parent?.reason);
  parent?.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new TimeoutError(what, ms);
      controller.abort(err);
      reject(err);
    }, ms);
  });
  try {
    return await Promise.race([fn(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener('abort', onAbort);
  }
}
