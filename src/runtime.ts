/** Builds the clients and adapters from a validated config; the one place they are constructed. */
import type { Config } from './config.ts';
import { createLogger, type Logger } from './log.ts';
import type { BackupDeps } from './backup/deps.ts';
import { createAdapters } from './stores/registry.ts';
import { BOT_VERSION } from './version.ts';

export interface Runtime {
  config: Config;
  logger: Logger;
  deps: BackupDeps;
  close(): Promise<void>;
}

export function createRuntime(config: Config, logger: Logger = createLogger(config.logLevel)): Runtime {
  const adapters = createAdapters(config, logger);
  const deps: BackupDeps = { config, logger, adapters, botVersion: BOT_VERSION };
  return {
    config,
    logger,
    deps,
    async close() {
      await Promise.allSettled([...adapters.values()].map((a) => a.close()));
    },
  };
}
