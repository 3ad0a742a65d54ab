/** The contract every local service of the harness implements. */
export interface ServiceContext {
  /** Absolute path of this service's data folder, .services/<name>/ (created). */
  dataDir: string;
  /** Absolute path of the shared build cache (~/.cache/crvs-backup-bot, or CRVS_CACHE_DIR). */
  cacheDir: string;
  /** Absolute path of the project's .services/ folder. */
  servicesDir: string;
  /** A free TCP port on 127.0.0.1. */
  freePort(): Promise<number>;
  /** Progress lines for the person waiting (stderr). */
  log(message: string): void;
}

export interface RunningService {
  name: string;
  version: string;
  url: string;
  /** Main pid (0 when the service is external, set by an override URL). */
  pid: number;
  /** Every pid to stop on `down`, main pid included. */
  pids: number[];
  /** A pid file that names the main pid when it can change (an engine restarted by a test). */
  pidFile?: string;
  /** The signal that stops it promptly (default SIGTERM). */
  stopSignal?: NodeJS.Signals;
  /** True for a real server (never false for a service of this harness; a mock is not allowed). */
  real: boolean;
  /** Variables this service contributes to .services/env (exactly what config.ts reads). */
  env: Record<string, string>;
}

export interface ServiceSpec {
  name: string;
  /** Environment variable holding a URL that replaces this service with the user's own. */
  overrideVar?: string;
  /** Builds or installs what is missing into the cache; idempotent and fast when cached. */
  install(ctx: ServiceContext): Promise<void>;
  /** Starts the server and resolves once it answers (bounded wait). */
  start(ctx: ServiceContext): Promise<RunningService>;
  /** Not needed to run the bot: when it cannot be had, `up` says so and goes on without it. */
  optional?: boolean;
  /** Stops it (when stopping by pid is not enough); `down` stops its pids afterwards anyway. */
  stop?(service: RunningService, ctx: ServiceContext): Promise<void>;
  /** Describes a user-provided server (override URL) without starting anything. */
  external?(url: string, ctx: ServiceContext): Promise<RunningService>;
}
