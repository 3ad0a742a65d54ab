/**
 * The bot's one configuration, read once from the environment (and an optional dotenv-style
 * file named by CRVS_CONFIG_FILE). Nothing else in the code reads process.env.
 */
import { readFileSync } from 'node:fs';
import { envSchema, SECRET_KEYS, type Env } from './config-schema.ts';
import { ConfigError } from './errors.ts';
import { redactText, redactUrl, registerSecret, registerUrlSecret } from './redact.ts';
import { dataClearingReason } from './restore/deploy-guard.ts';
import { PROFILES, type ProfileChoice } from './profile/profiles.ts';
import { STORE_NAMES } from './stores/types.ts';
import { assertStagingSafe } from './drill/staging-guard.ts';

/** Variables holding URLs, whose user:password part is a secret too. */
const URL_KEYS = ['MONGO_URL', 'POSTGRES_URL', 'REDIS_URL', 'ES_URL', 'INFLUX_URL', 'MINIO_URL', 'SLACK_API_URL'] as const;

export interface SshTarget {
  host: string;
  port: number;
  username: string;
  keyFile: string;
  hostKey: string | undefined;
}

/** The validated configuration, grouped by concern. */
export interface Config {
  env: Env;
  backupRoot: string;
  timeZone: string;
  cron: string;
  stores: string[];
  retentionDays: Record<string, number>;
  storeTimeoutMs: number;
  connectTimeoutMs: number;
  redisUrl: string;
  /** TTL of the shared operations lock (OPERATIONS_LOCK_SECONDS). */
  lockTtlMs: number;
  /** The OpenCRVS version profile in force and how it was chosen. */
  profile: ProfileChoice;
  mongo: { url: string; databases: string[] };
  postgres: PostgresConfig;
  pitr: PitrConfig;
  folders: { folders: string[]; mosipSqliteFile: string | undefined };
  elasticsearch: {
    url: string;
    username: string | undefined;
    password: string | undefined;
    indexPatterns: string[];
    repository: string;
    repositoryLocation: string;
    repositoryLocalPath: string;
    /** `none`: Elasticsearch is rebuilt by the reindex after a restore, never snapshotted. */
    backup: 'snapshot' | 'none';
  };
  influx: {
    url: string;
    username: string | undefined;
    password: string | undefined;
    database: string;
    rpcAddress: string;
    exec: string;
    influxdBin: string;
  };
  minio: {
    url: string;
    accessKey: string;
    secretKey: string;
    buckets: string[];
    dataDir: string | undefined;
    restartCommand: string | undefined;
    exec: string;
  };
  backupServer: (SshTarget & { dir: string; keep: number }) | undefined;
  manager: SshTarget | undefined;
  encryptionKeyFile: string | undefined;
  encryptionKey: string | undefined;
  diskWarnPercent: number;
  restore: RestoreConfig;
  logLevel: Env['LOG_LEVEL'];
  slack: SlackConfig;
}

/** The PostgreSQL store (OpenCRVS v1.9+). */
export interface PostgresConfig {
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  databases: string[];
  /** Schemas a restore brings back; ['*'] for all. */
  restoreSchemas: string[];
  exec: string;
  /** Where the tools connect (host, port), as they see the server. */
  toolsHost: string;
  toolsPort: number;
  binDir: string | undefined;
}

/** Point-in-time recovery of PostgreSQL (src/pitr). */
export interface PitrConfig {
  enabled: boolean;
  slot: string;
  replicationUser: string;
  replicationPassword: string | undefined;
  maxLagMs: number;
  maxSlotRetainedBytes: number;
  checkMs: number;
  restartMaxMs: number;
  /** Set together (or none): restore to a moment is possible only with all three. */
  server: { dataDir: string; stopCommand: string; startCommand: string } | undefined;
  replayTimeoutMs: number;
}

/** Kubernetes: where OpenCRVS's release is and how its migrations show (PLATFORM=kubernetes). */
export interface KubeSettings {
  namespace: string;
  /** undefined: the in-cluster service account. */
  kubeconfig: string | undefined;
  labelSelector: string | undefined;
  migrationJobs: string[];
  /** undefined: no reindex Job to wait for. */
  reindexJob: string | undefined;
}

/** What happens after the stores are restored: redeploy over SSH and the migration watch. */
export interface RestoreConfig {
  /** Docker Swarm (over SSH to the manager) or Kubernetes (its API). */
  platform: 'swarm' | 'kubernetes';
  kube: KubeSettings;
  redeploy: boolean;
  stack: string;
  deployCommand: string;
  deployTimeoutMs: number;
  dockerRestartCommand: string;
  stackDownTimeoutMs: number;
  /** The engine's pid file on the manager node. */
  dockerPidFile: string;
  /** Stop the application services before the first destructive step. */
  quiesce: boolean;
  /** Name fragments of services the quiesce keeps running (data stores). */
  quiesceKeep: string[];
  quiesceTimeoutMs: number;
  /** Lock of a running restore job (a dead worker's job is taken back after it). */
  jobLockMs: number;
  migrationService: string;
  migrationTimeoutMs: number;
  migrationPollMs: number;
  migrationProgressMs: number;
  migrationMaxFailedTasks: number;
  /** OpenCRVS's search reindex after the migrations (v1.9+). */
  reindex: { enabled: boolean; authUrl: string; eventsUrl: string; command: string | undefined; timeoutMs: number };
}

/** The Slack surface: connection, roles and the restore approval policy. */
export interface SlackConfig {
  mode: 'socket' | 'http';
  botToken: string | undefined;
  appToken: string | undefined;
  signingSecret: string | undefined;
  port: number;
  /** Web API base URL (tests point it at the fake), e.g. http://127.0.0.1:1234/api/. */
  apiUrl: string | undefined;
  channel: string | undefined;
  oncallGroup: string | undefined;
  operators: string[];
  operatorGroup: string | undefined;
  approvers: string[];
  approverGroup: string | undefined;
  approvalsRequired: number;
  approvalExpiryMinutes: number;
  allowSelfApproval: boolean;
}

/** Parses a dotenv-style file: KEY=VALUE lines, # comments, optional quotes. */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2] ?? '';
    if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
    out[m[1] as string] = value;
  }
  return out;
}

function sshTarget(prefix: 'BACKUP_SERVER' | 'MANAGER', env: Env): SshTarget | undefined {
  const host = env[`${prefix}_HOST`];
  if (!host) return undefined;
  const username = env[`${prefix}_USER`];
  const keyFile = env[`${prefix}_KEY_FILE`];
  if (!username) throw new ConfigError(`${prefix}_USER`, `is required when ${prefix}_HOST is set`);
  if (!keyFile) throw new ConfigError(`${prefix}_KEY_FILE`, `is required when ${prefix}_HOST is set`);
  return { host, port: env[`${prefix}_PORT`], username, keyFile, hostKey: env[`${prefix}_HOST_KEY`] };
}

/**
 * Validates the environment once. Throws a ConfigError naming the first bad variable.
 * `source` defaults to process.env merged under the optional CRVS_CONFIG_FILE.
 */
export function loadConfig(source?: Record<string, string | undefined>): Config {
  const base = source ?? readSources();
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && v !== '') cleaned[k] = v;
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'configuration');
    throw new ConfigError(name, issue?.message ?? 'is invalid');
  }
  const env = parsed.data;
  // From here on, every error text and log line scrubs these values (see redact.ts).
  for (const k of SECRET_KEYS) registerSecret(env[k]);
  for (const k of URL_KEYS) registerUrlSecret(env[k]);
  // These clients take credentials only from their own variables (fetch refuses a URL holding
  // them; MinIO ignores them): a user:password in the URL would be silently unused, and printed.
  for (const [name, vars] of [['ES_URL', 'ES_USERNAME and ES_PASSWORD'], ['INFLUX_URL', 'INFLUX_USERNAME and INFLUX_PASSWORD'], ['MINIO_URL', 'MINIO_ACCESS_KEY and MINIO_SECRET_KEY']] as const) {
    const url = new URL(env[name]);
    if (url.username !== '' || url.password !== '') throw new ConfigError(name, `must not hold credentials (user:password@): set ${vars} instead`);
  }
  const known = new Set<string>(STORE_NAMES);
  for (const s of env.BACKUP_STORES ?? []) {
    if (!known.has(s)) throw new ConfigError('BACKUP_STORES', `names an unknown store "${s}" (known: ${[...known].join(', ')})`);
  }
  for (const db of env.MONGO_DATABASES ?? []) {
    if (!/^[A-Za-z0-9_-]+$/.test(db)) throw new ConfigError('MONGO_DATABASES', `has an invalid database name "${db}"`);
  }
  const postgres = postgresConfig(env);
  if (env.ES_BACKUP === 'none' && env.BACKUP_STORES?.includes('elasticsearch')) {
    throw new ConfigError('BACKUP_STORES', 'lists elasticsearch while ES_BACKUP=none says it is rebuilt by the reindex, not backed up');
  }
  for (const f of env.BACKUP_FOLDERS ?? []) {
    if (!f.startsWith('/') || f.split('/').includes('..') || f === '/') throw new ConfigError('BACKUP_FOLDERS', `must list absolute folders (got "${f}")`);
  }
  if (env.ES_BACKUP === 'none' && env.REINDEX_AFTER_RESTORE === false) {
    throw new ConfigError('REINDEX_AFTER_RESTORE', 'is false while ES_BACKUP=none: after a restore nothing would rebuild Elasticsearch');
  }
  for (const name of ['REDEPLOY_COMMAND', 'DOCKER_RESTART_COMMAND', 'REINDEX_COMMAND'] as const) {
    const value = env[name];
    if (value === undefined) continue;
    const why = dataClearingReason(value);
    if (why) throw new ConfigError(name, `would clear the restored data: it ${why}`);
  }
  assertStagingSafe(env);
  const repoLocation = env.ES_REPOSITORY_LOCATION ?? `${env.BACKUP_ROOT}/elasticsearch`;
  const backupTarget = sshTarget('BACKUP_SERVER', env);
  const config: Config = {
    env,
    backupRoot: env.BACKUP_ROOT,
    timeZone: env.BACKUP_TIME_ZONE,
    cron: env.BACKUP_CRON,
    // Filled by withProfile below.
    stores: [],
    profile: { profile: PROFILES['v1.8'], source: 'provisional', reason: '' },
    retentionDays: {
      mongo: env.RETENTION_DAYS_MONGO ?? env.RETENTION_DAYS,
      elasticsearch: env.RETENTION_DAYS_ELASTICSEARCH ?? env.RETENTION_DAYS,
      influxdb: env.RETENTION_DAYS_INFLUXDB ?? env.RETENTION_DAYS,
      minio: env.RETENTION_DAYS_MINIO ?? env.RETENTION_DAYS,
      postgres: env.RETENTION_DAYS_POSTGRES ?? env.RETENTION_DAYS,
      folders: env.RETENTION_DAYS_FOLDERS ?? env.RETENTION_DAYS,
    },
    storeTimeoutMs: env.STORE_TIMEOUT_SECONDS * 1000,
    connectTimeoutMs: env.CONNECT_TIMEOUT_SECONDS * 1000,
    redisUrl: env.REDIS_URL,
    lockTtlMs: env.OPERATIONS_LOCK_SECONDS * 1000,
    mongo: { url: env.MONGO_URL, databases: [] },
    postgres,
    pitr: pitrConfig(env, postgres),
    folders: { folders: [], mosipSqliteFile: env.MOSIP_SQLITE_FILE },
    elasticsearch: {
      url: env.ES_URL,
      username: env.ES_USERNAME,
      password: env.ES_PASSWORD,
      indexPatterns: env.ES_INDEX_PATTERNS,
      repository: env.ES_REPOSITORY,
      repositoryLocation: repoLocation,
      repositoryLocalPath: env.ES_REPOSITORY_LOCAL_PATH ?? repoLocation,
      backup: env.ES_BACKUP,
    },
    influx: {
      url: env.INFLUX_URL,
      username: env.INFLUX_USERNAME,
      password: env.INFLUX_PASSWORD,
      database: env.INFLUX_DATABASE,
      rpcAddress: env.INFLUX_RPC_ADDRESS,
      exec: env.INFLUX_EXEC,
      influxdBin: env.INFLUXD_BIN,
    },
    minio: {
      url: env.MINIO_URL,
      accessKey: env.MINIO_ACCESS_KEY,
      secretKey: env.MINIO_SECRET_KEY,
      buckets: env.MINIO_BUCKETS,
      dataDir: env.MINIO_DATA_DIR,
      restartCommand: env.MINIO_RESTART_COMMAND,
      exec: env.MINIO_EXEC,
    },
    backupServer: backupTarget && { ...backupTarget, dir: env.BACKUP_SERVER_DIR, keep: env.BACKUP_SERVER_KEEP },
    manager: sshTarget('MANAGER', env),
    encryptionKeyFile: env.OFFSITE_ENCRYPTION_KEY_FILE,
    encryptionKey: env.OFFSITE_ENCRYPTION_KEY,
    diskWarnPercent: env.DISK_WARN_PERCENT,
    restore: {
      platform: env.PLATFORM,
      kube: {
        namespace: env.KUBE_NAMESPACE,
        kubeconfig: env.KUBECONFIG,
        labelSelector: env.KUBE_APP_SELECTOR,
        migrationJobs: env.KUBE_MIGRATION_JOBS,
        reindexJob: env.KUBE_REINDEX_JOB === 'none' ? undefined : env.KUBE_REINDEX_JOB,
      },
      redeploy: env.REDEPLOY_AFTER_RESTORE,
      stack: env.PLATFORM === 'kubernetes' ? env.KUBE_NAMESPACE : env.REDEPLOY_STACK,
      // Kubernetes: '' is a rollout restart (REDEPLOY_COMMAND is Swarm's deploy.sh).
      deployCommand: env.PLATFORM === 'kubernetes' ? (env.KUBE_REDEPLOY_COMMAND ?? '') : env.REDEPLOY_COMMAND,
      deployTimeoutMs: env.REDEPLOY_TIMEOUT_MINUTES * 60_000,
      dockerRestartCommand: env.DOCKER_RESTART_COMMAND,
      stackDownTimeoutMs: env.STACK_DOWN_TIMEOUT_SECONDS * 1000,
      dockerPidFile: env.DOCKER_PID_FILE,
      quiesce: env.QUIESCE_BEFORE_RESTORE,
      quiesceKeep: env.QUIESCE_KEEP,
      quiesceTimeoutMs: env.QUIESCE_TIMEOUT_SECONDS * 1000,
      jobLockMs: env.RESTORE_JOB_LOCK_SECONDS * 1000,
      migrationService: env.PLATFORM === 'kubernetes' ? 'The migration Jobs' : env.MIGRATION_SERVICE,
      migrationTimeoutMs: env.MIGRATION_TIMEOUT_HOURS * 3_600_000,
      migrationPollMs: env.MIGRATION_POLL_SECONDS * 1000,
      migrationProgressMs: env.MIGRATION_PROGRESS_SECONDS * 1000,
      migrationMaxFailedTasks: env.MIGRATION_MAX_FAILED_TASKS,
      // Filled by withProfile.
      reindex: { enabled: false, authUrl: env.REINDEX_AUTH_URL, eventsUrl: env.REINDEX_EVENTS_URL, command: env.REINDEX_COMMAND, timeoutMs: env.REINDEX_TIMEOUT_MINUTES * 60_000 },
    },
    logLevel: env.LOG_LEVEL,
    slack: {
      mode: env.SLACK_MODE,
      botToken: env.SLACK_BOT_TOKEN,
      appToken: env.SLACK_APP_TOKEN,
      signingSecret: env.SLACK_SIGNING_SECRET,
      port: env.SLACK_PORT,
      apiUrl: env.SLACK_API_URL,
      channel: env.SLACK_CHANNEL,
      oncallGroup: env.SLACK_ONCALL_GROUP,
      operators: env.SLACK_OPERATORS,
      operatorGroup: env.SLACK_OPERATOR_GROUP,
      approvers: env.SLACK_APPROVERS,
      approverGroup: env.SLACK_APPROVER_GROUP,
      approvalsRequired: env.APPROVALS_REQUIRED,
      approvalExpiryMinutes: env.APPROVAL_EXPIRY_MINUTES,
      allowSelfApproval: env.ALLOW_SELF_APPROVAL,
    },
  };
  if (env.OPENCRVS_VERSION === 'auto') {
    // Until resolveProfile (src/profile/detect.ts) has asked the servers, the v1.8 defaults hold:
    // every entry point that backs up or restores resolves the profile first.
    return withProfile(config, { profile: PROFILES['v1.8'], source: 'provisional', reason: 'OPENCRVS_VERSION=auto, not detected yet' });
  }
  return withProfile(config, { profile: PROFILES[env.OPENCRVS_VERSION], source: 'configured', reason: `OPENCRVS_VERSION=${env.OPENCRVS_VERSION}` });
}

/** The configuration with a profile's defaults; variables set explicitly still win. */
export function withProfile(config: Config, choice: ProfileChoice): Config {
  const { env } = config;
  return {
    ...config,
    profile: choice,
    stores: env.BACKUP_STORES ?? choice.profile.stores.filter((s) => s !== 'elasticsearch' || env.ES_BACKUP === 'snapshot'),
    mongo: { ...config.mongo, databases: env.MONGO_DATABASES ?? [...choice.profile.mongoDatabases] },
    folders: { ...config.folders, folders: env.BACKUP_FOLDERS ?? [...choice.profile.folders] },
    restore: { ...config.restore, reindex: { ...config.restore.reindex, enabled: env.REINDEX_AFTER_RESTORE ?? choice.profile.reindexAfterRestore } },
  };
}

function pitrConfig(env: Env, postgres: PostgresConfig): PitrConfig {
  const names = ['PITR_DATA_DIR', 'PITR_STOP_COMMAND', 'PITR_START_COMMAND'] as const;
  const set = names.filter((n) => env[n] !== undefined);
  if (set.length > 0 && set.length < names.length) {
    const missing = names.filter((n) => env[n] === undefined);
    throw new ConfigError(missing[0] as string, `must be set together with ${set.join(' and ')} (restore to a moment needs the data folder and how to stop and start the server), or none of them`);
  }
  for (const name of ['PITR_STOP_COMMAND', 'PITR_START_COMMAND'] as const) {
    const value = env[name];
    const why = value === undefined ? undefined : dataClearingReason(value);
    if (why) throw new ConfigError(name, `would clear data: it ${why}`);
  }
  const { PITR_DATA_DIR: dataDir, PITR_STOP_COMMAND: stopCommand, PITR_START_COMMAND: startCommand } = env;
  if (dataDir !== undefined && (dataDir === '/' || dataDir.split('/').includes('..'))) throw new ConfigError('PITR_DATA_DIR', `must be the server's data folder (got "${dataDir}")`);
  return {
    enabled: env.PITR_ENABLED,
    slot: env.PITR_SLOT,
    replicationUser: env.PITR_REPLICATION_USER ?? postgres.user,
    replicationPassword: env.PITR_REPLICATION_PASSWORD ?? postgres.password,
    maxLagMs: env.PITR_MAX_LAG_MINUTES * 60_000,
    maxSlotRetainedBytes: env.PITR_MAX_SLOT_RETAINED_MB * 1024 * 1024,
    checkMs: env.PITR_CHECK_SECONDS * 1000,
    restartMaxMs: env.PITR_RESTART_MAX_SECONDS * 1000,
    server: dataDir !== undefined && stopCommand !== undefined && startCommand !== undefined ? { dataDir: dataDir.replace(/\/+$/, ''), stopCommand, startCommand } : undefined,
    replayTimeoutMs: env.PITR_REPLAY_TIMEOUT_MINUTES * 60_000,
  };
}

function postgresConfig(env: Env): PostgresConfig {
  let url: URL;
  try {
    url = new URL(env.POSTGRES_URL);
  } catch {
    throw new ConfigError('POSTGRES_URL', 'is not a URL (postgres://user@host:port/)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new ConfigError('POSTGRES_URL', 'must start with postgres://');
  for (const db of env.POSTGRES_DATABASES) {
    if (!/^[A-Za-z0-9_-]+$/.test(db)) throw new ConfigError('POSTGRES_DATABASES', `has an invalid database name "${db}"`);
  }
  for (const schema of env.POSTGRES_RESTORE_SCHEMAS) {
    if (schema !== 'all' && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new ConfigError('POSTGRES_RESTORE_SCHEMAS', `has an invalid schema name "${schema}" (or use "all")`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = url.port ? Number(url.port) : 5432;
  const [toolsHost, toolsPort] = env.POSTGRES_TOOLS_ADDRESS ? env.POSTGRES_TOOLS_ADDRESS.split(':') : [host, String(port)];
  return {
    host,
    port,
    user: decodeURIComponent(url.username) || 'postgres',
    password: env.POSTGRES_PASSWORD ?? (url.password ? decodeURIComponent(url.password) : undefined),
    databases: env.POSTGRES_DATABASES,
    restoreSchemas: env.POSTGRES_RESTORE_SCHEMAS.includes('all') ? ['*'] : env.POSTGRES_RESTORE_SCHEMAS,
    exec: env.POSTGRES_EXEC,
    toolsHost: toolsHost ?? host,
    toolsPort: toolsPort ? Number(toolsPort) : 5432,
    binDir: env.PG_BIN_DIR,
  };
}

function readSources(): Record<string, string | undefined> {
  const file = process.env['CRVS_CONFIG_FILE'];
  if (!file) return { ...process.env };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError('CRVS_CONFIG_FILE', `names a file that cannot be read: ${file}`);
  }
  return { ...parseDotenv(text), ...process.env };
}

/** Replaces secrets (and credentials inside URLs) for printing. */
export function redactedEnv(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  const secret = new Set<string>(SECRET_KEYS);
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    const text = Array.isArray(v) ? v.join(',') : String(v);
    out[k] = secret.has(k) ? '[redacted]' : redactText(text);
  }
  return out;
}

export { redactUrl };
