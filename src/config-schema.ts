/**
 * The environment variables the bot reads, as one zod schema (the public contract documented in
 * the README's configuration table). Parsed once by loadConfig in src/config.ts.
 */
import { z } from 'zod';

const list = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0));

const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive();
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Environment variable → schema. Names are the public contract documented in the README. */
export const envSchema = z.object({
  BACKUP_ROOT: z.string().min(1).default('/data/backups'),
  BACKUP_TIME_ZONE: z.string().min(1).default('UTC'),
  BACKUP_CRON: z.string().min(1).default('0 0 * * *'),
  /** Which OpenCRVS this is: chooses the default stores, Mongo databases and restore steps. */
  OPENCRVS_VERSION: z.enum(['v1.8', 'v1.9', 'v2.0', 'auto']).default('auto'),
  /** Default: the profile's stores (v1.9+ adds postgres). */
  BACKUP_STORES: list.optional(),
  RETENTION_DAYS: positiveInt.default(7),
  RETENTION_DAYS_MONGO: positiveInt.optional(),
  RETENTION_DAYS_ELASTICSEARCH: positiveInt.optional(),
  RETENTION_DAYS_INFLUXDB: positiveInt.optional(),
  RETENTION_DAYS_MINIO: positiveInt.optional(),
  RETENTION_DAYS_POSTGRES: positiveInt.optional(),
  RETENTION_DAYS_FOLDERS: positiveInt.optional(),
  STORE_TIMEOUT_SECONDS: positiveInt.default(3600),
  CONNECT_TIMEOUT_SECONDS: positiveInt.default(10),

  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  /**
   * TTL of the shared operations lock, renewed every third of it and checked before every
   * destructive step; a holder that died frees it after this long.
   */
  OPERATIONS_LOCK_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),

  MONGO_URL: z.string().min(1).default('mongodb://127.0.0.1:27017'),
  /** Default: the profile's databases (8 in v1.8, 7 in v1.9, 5 in v2.0). */
  MONGO_DATABASES: list.optional(),

  /** Server and superuser (the password in POSTGRES_PASSWORD, or in the URL). */
  POSTGRES_URL: z.string().min(1).default('postgres://postgres@127.0.0.1:5432/postgres'),
  POSTGRES_PASSWORD: z.string().optional(),
  POSTGRES_DATABASES: list.default('events'),
  /** Schemas a restore brings back: `app` (what OpenCRVS v1.9 restores) or `all`. */
  POSTGRES_RESTORE_SCHEMAS: list.default('app'),
  /** Where pg_dump / pg_restore run: local, docker:<container> (the server's own), pod:<namespace>/<pod>[:<container>], or ssh. */
  POSTGRES_EXEC: z.string().regex(/^(local|ssh|docker:[\w.-]+|pod:[a-z0-9-]+\/[a-z0-9.-]+(:[a-z0-9-]+)?)$/).default('local'),
  /** host:port as the tools see the server, when it differs from POSTGRES_URL's (e.g. in its container). */
  POSTGRES_TOOLS_ADDRESS: z.string().regex(/^[\w.-]+(:\d+)?$/).optional(),
  /** Folders the `folders` store tars; default: the profile's (`/data/vsexport`). */
  BACKUP_FOLDERS: list.optional(),
  /** MOSIP's sqlite file, copied with sqlite's online backup, when MOSIP is used. */
  MOSIP_SQLITE_FILE: z.string().startsWith('/', 'must be an absolute path').optional(),
  /** Folder of pg_dump, pg_restore, pg_dumpall; default: found on PATH. */
  PG_BIN_DIR: z.string().min(1).optional(),

  ES_URL: z.string().url().default('http://127.0.0.1:9200'),
  ES_USERNAME: z.string().optional(),
  ES_PASSWORD: z.string().optional(),
  ES_INDEX_PATTERNS: list.default('ocrvs,ocrvs-*,events_*'),
  ES_REPOSITORY: z.string().min(1).default('ocrvs'),
  /** `none`: no snapshot; after a restore OpenCRVS's reindex rebuilds the indices (upstream since July 2026). */
  ES_BACKUP: z.enum(['snapshot', 'none']).default('snapshot'),
  /** The repository folder as the Elasticsearch node sees it (its path.repo). */
  ES_REPOSITORY_LOCATION: z.string().min(1).optional(),
  /** The same folder as this bot sees it, for verify and offsite copies. */
  ES_REPOSITORY_LOCAL_PATH: z.string().min(1).optional(),

  INFLUX_URL: z.string().url().default('http://127.0.0.1:8086'),
  INFLUX_USERNAME: z.string().optional(),
  INFLUX_PASSWORD: z.string().optional(),
  INFLUX_DATABASE: z.string().min(1).default('ocrvs'),
  INFLUX_RPC_ADDRESS: z.string().min(1).default('127.0.0.1:8088'),
  /** Where `influxd backup/restore` runs: local, docker:<container>, pod:<namespace>/<pod>[:<container>], or ssh (the manager node). */
  INFLUX_EXEC: z.string().regex(/^(local|ssh|docker:[\w.-]+|pod:[a-z0-9-]+\/[a-z0-9.-]+(:[a-z0-9-]+)?)$/).default('local'),
  INFLUXD_BIN: z.string().min(1).default('influxd'),

  MINIO_URL: z.string().url().default('http://127.0.0.1:9000'),
  MINIO_ACCESS_KEY: z.string().min(1).default('minioadmin'),
  MINIO_SECRET_KEY: z.string().min(1).default('minioadmin'),
  MINIO_BUCKETS: list.default('ocrvs'),
  /** Data directory of MinIO, for legacy (tar of the data folder) restores through the exec layer. */
  MINIO_DATA_DIR: z.string().min(1).optional(),
  MINIO_RESTART_COMMAND: z.string().min(1).optional(),
  /** Where legacy data-folder restores run (the MinIO host): local, docker:<container>, or ssh. */
  MINIO_EXEC: z.string().regex(/^(local|ssh|docker:[\w.-]+|pod:[a-z0-9-]+\/[a-z0-9.-]+(:[a-z0-9-]+)?)$/).default('local'),

  /** Point-in-time recovery of PostgreSQL: WAL streamed by pg_receivewal through a replication slot. */
  PITR_ENABLED: bool.default('false'),
  PITR_SLOT: z.string().regex(/^[a-z0-9_]{1,63}$/, 'must be lower-case letters, digits and _ (a replication slot name)').default('crvs_backup_pitr'),
  /** The login pg_receivewal streams with (REPLICATION attribute); default: POSTGRES_URL's user. */
  PITR_REPLICATION_USER: z.string().min(1).optional(),
  PITR_REPLICATION_PASSWORD: z.string().min(1).optional(),
  PITR_MAX_LAG_MINUTES: z.coerce.number().positive().default(15),
  /** WAL the slot may hold back on the database server before the slot is dropped (80 % warns). */
  PITR_MAX_SLOT_RETAINED_MB: z.coerce.number().positive().default(10240),
  PITR_CHECK_SECONDS: z.coerce.number().positive().default(60),
  /** Longest pause between restarts of pg_receivewal (the pause starts at 1 s and doubles). */
  PITR_RESTART_MAX_SECONDS: z.coerce.number().positive().default(60),
  /** The server's data folder, and how to stop and start it (run through `sh -c` where POSTGRES_EXEC says). */
  PITR_DATA_DIR: z.string().startsWith('/', 'must be an absolute path').optional(),
  PITR_STOP_COMMAND: z.string().min(1).optional(),
  PITR_START_COMMAND: z.string().min(1).optional(),
  PITR_REPLAY_TIMEOUT_MINUTES: z.coerce.number().positive().default(60),

  BACKUP_SERVER_HOST: z.string().min(1).optional(),
  BACKUP_SERVER_PORT: port.default(22),
  BACKUP_SERVER_USER: z.string().min(1).optional(),
  BACKUP_SERVER_KEY_FILE: z.string().min(1).optional(),
  /** Pinned host key: "SHA256:<base64>" as printed by ssh-keygen -lf. */
  BACKUP_SERVER_HOST_KEY: z.string().regex(/^SHA256:[A-Za-z0-9+/]+=*$/).optional(),
  BACKUP_SERVER_DIR: z.string().min(1).default('/data/backups-offsite'),
  BACKUP_SERVER_KEEP: positiveInt.default(7),
  OFFSITE_ENCRYPTION_KEY_FILE: z.string().min(1).optional(),
  OFFSITE_ENCRYPTION_KEY: z.string().min(1).optional(),

  MANAGER_HOST: z.string().min(1).optional(),
  MANAGER_PORT: port.default(22),
  MANAGER_USER: z.string().min(1).optional(),
  MANAGER_KEY_FILE: z.string().min(1).optional(),
  MANAGER_HOST_KEY: z.string().regex(/^SHA256:[A-Za-z0-9+/]+=*$/).optional(),

  DISK_WARN_PERCENT: z.coerce.number().min(0).max(100).default(20),

  /** After a restore: stack down, Docker restart, redeploy with FACTORY_RESET=no, watch migrations. */
  REDEPLOY_AFTER_RESTORE: bool.default('true'),
  REDEPLOY_STACK: z.string().regex(/^[A-Za-z0-9][\w.-]*$/).default('opencrvs'),
  /** Run through `sh -c` on the manager node, with FACTORY_RESET=no in its environment. */
  REDEPLOY_COMMAND: z.string().min(1).default('cd /opt/opencrvs/infrastructure && ./deploy.sh --clear-data=no --restore-metadata=no'),
  REDEPLOY_TIMEOUT_MINUTES: z.coerce.number().positive().default(60),
  DOCKER_RESTART_COMMAND: z.string().min(1).default('service docker restart'),
  STACK_DOWN_TIMEOUT_SECONDS: z.coerce.number().positive().default(300),
  /** The engine's pid file on the manager node: its process age tells whether a restart happened. */
  DOCKER_PID_FILE: z.string().min(1).default('/var/run/docker.pid'),
  /** Scale the stack's application services to 0 before the first destructive step (back on failure). */
  QUIESCE_BEFORE_RESTORE: bool.default('true'),
  /** Services kept running by the quiesce: any whose name contains one of these (the data stores). */
  QUIESCE_KEEP: list.default('mongo,elasticsearch,influxdb,minio,postgres'),
  QUIESCE_TIMEOUT_SECONDS: z.coerce.number().positive().default(300),
  /**
   * A restore job's lock: a bot killed mid-restore (by its own Docker restart, when it runs as a
   * Swarm service) takes its job back this long after it died, at the latest 1.5× this.
   */
  RESTORE_JOB_LOCK_SECONDS: z.coerce.number().min(2).default(120),
  /** Where OpenCRVS runs: Docker Swarm (over SSH to the manager) or Kubernetes (through its API). */
  PLATFORM: z.enum(['swarm', 'kubernetes']).default('swarm'),
  /** Kubernetes: the namespace of the OpenCRVS release. */
  KUBE_NAMESPACE: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).default('opencrvs'),
  /** Kubernetes: a kubeconfig file; absent: the pod's service account (in-cluster). */
  KUBECONFIG: z.string().min(1).optional(),
  /** Kubernetes: narrows the application Deployments/StatefulSets (a label selector, e.g. app.kubernetes.io/instance=opencrvs). */
  KUBE_APP_SELECTOR: z.string().min(1).optional(),
  /** Kubernetes: the migration hook Jobs, in the order Helm runs them. */
  KUBE_MIGRATION_JOBS: list.default('data-migration,data-migration-analytics,data-migration-legacy'),
  /** Kubernetes: the Job that rebuilds Elasticsearch after the migrations (`none`: no such Job). */
  KUBE_REINDEX_JOB: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).default('elasticsearch-reindex'),
  /** Kubernetes: the redeploy command (e.g. helm upgrade … --reuse-values), run by the bot; absent: a rollout restart. */
  KUBE_REDEPLOY_COMMAND: z.string().min(1).optional(),
  MIGRATION_SERVICE: z.string().regex(/^[A-Za-z0-9][\w.-]*$/).default('opencrvs_migration'),
  MIGRATION_TIMEOUT_HOURS: z.coerce.number().positive().default(12),
  MIGRATION_POLL_SECONDS: z.coerce.number().positive().default(10),
  /** The migration progress message is edited at most this often. */
  MIGRATION_PROGRESS_SECONDS: z.coerce.number().positive().default(30),
  /** This many failed tasks of the migration service = a restart loop: stop waiting. */
  MIGRATION_MAX_FAILED_TASKS: positiveInt.default(3),
  /** After the migrations, OpenCRVS's search reindex (v1.9+); default: the profile's (on from v1.9). */
  REINDEX_AFTER_RESTORE: bool.optional(),
  /** The auth and events services as the bot reaches them (inside OpenCRVS's overlay network). */
  REINDEX_AUTH_URL: z.string().url().default('http://auth:4040'),
  REINDEX_EVENTS_URL: z.string().url().default('http://events:5555'),
  /** Instead of the HTTP calls: a command run on the manager node (e.g. the deployment's reindex script). */
  REINDEX_COMMAND: z.string().min(1).optional(),
  REINDEX_TIMEOUT_MINUTES: z.coerce.number().positive().default(120),

  SLACK_BOT_TOKEN: z.string().startsWith('xoxb-').optional(),
  SLACK_APP_TOKEN: z.string().startsWith('xapp-').optional(),
  SLACK_SIGNING_SECRET: z.string().min(1).optional(),
  SLACK_MODE: z.enum(['socket', 'http']).default('socket'),
  SLACK_PORT: port.default(3000),
  SLACK_API_URL: z.string().url().optional(),
  SLACK_CHANNEL: z.string().min(1).optional(),
  SLACK_ONCALL_GROUP: z.string().min(1).optional(),
  SLACK_OPERATORS: list.default(''),
  SLACK_OPERATOR_GROUP: z.string().min(1).optional(),
  SLACK_APPROVERS: list.default(''),
  SLACK_APPROVER_GROUP: z.string().min(1).optional(),
  APPROVALS_REQUIRED: z.coerce.number().int().min(2).max(5).default(2),
  APPROVAL_EXPIRY_MINUTES: positiveInt.default(30),
  ALLOW_SELF_APPROVAL: bool.default('false'),

  /** The restore drill (src/drill): after the nightly backup every night, on Sunday nights, or never. */
  DRILL_SCHEDULE: z.enum(['nightly', 'weekly', 'off']).default('nightly'),
  /** Scratch space assumed per byte of the set's uncompressed size; the drill refuses to start below it. */
  DRILL_SPACE_FACTOR: z.coerce.number().positive().default(2),
  DRILL_TIMEOUT_MINUTES: z.coerce.number().positive().default(60),
  /** `offsite`: a staging bot restores production's newest offsite set onto its own live stores. */
  DRILL_SOURCE: z.enum(['local', 'offsite']).default('local'),
  /** Staging only: that scheduled restore runs without the two approvals. Refused on a production-looking configuration. */
  STAGING_AUTO_RESTORE: bool.default('false'),
  /** A name for this deployment (e.g. `farajaland-staging`); STAGING_AUTO_RESTORE needs it to say staging/qa/test/dev/demo. */
  DEPLOYMENT_NAME: z.string().min(1).optional(),
  /** Run figures go to this InfluxDB database (created if missing) on INFLUX_URL; empty METRICS=off disables. */
  METRICS_DATABASE: z.string().regex(/^[A-Za-z0-9_-]+$/).default('crvs_backup'),
  METRICS: z.enum(['on', 'off']).default('on'),

  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Env = z.infer<typeof envSchema>;

/** Names whose values are secrets: redacted in every printout. */
export const SECRET_KEYS = [
  'ES_PASSWORD',
  'INFLUX_PASSWORD',
  'MINIO_SECRET_KEY',
  'POSTGRES_PASSWORD',
  'PITR_REPLICATION_PASSWORD',
  'OFFSITE_ENCRYPTION_KEY',
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'SLACK_SIGNING_SECRET',
] as const;
