/** The bot's BullMQ queues over one Redis connection, built in main.ts (or by a test). */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { redactUrl } from '../config.ts';
import { BotError } from '../errors.ts';
import { DEFAULT_PREFIX, QUEUE_NAMES } from './names.ts';
import type { BackupJobData, DeadmanJobData, RestoreJobData } from './schemas.ts';

export interface Queues {
  prefix: string;
  backup: Queue<BackupJobData>;
  restore: Queue<RestoreJobData>;
  deadman: Queue<DeadmanJobData>;
  close(): Promise<void>;
}

/** A Redis connection fit for BullMQ workers (blocking commands must not be retried per request). */
export function createRedis(url: string, opts: { connectTimeoutMs?: number; onError?: (err: Error) => void } = {}): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, connectTimeout: opts.connectTimeoutMs ?? 10_000, lazyConnect: false });
  // ioredis reconnects by itself; without a listener each failed try is printed to stderr.
  redis.on('error', opts.onError ?? (() => undefined));
  return redis;
}

/**
 * A connection for the bot's own commands (lock, checkpoints, approvals, history): each command
 * gives up after `commandTimeoutMs` instead of waiting for Redis forever, while ioredis keeps
 * reconnecting in the background. BullMQ keeps its own connection (createRedis).
 */
export function createCommandRedis(url: string, opts: { connectTimeoutMs?: number; commandTimeoutMs?: number; onError?: (err: Error) => void } = {}): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 3,
    commandTimeout: opts.commandTimeoutMs ?? 15_000,
    connectTimeout: opts.connectTimeoutMs ?? 10_000,
  });
  redis.on('error', opts.onError ?? (() => undefined));
  return redis;
}

/** Finished jobs are kept a while so a repeated request id is recognised, then dropped. */
const KEEP = { removeOnComplete: { age: 7 * 24 * 3600, count: 500 }, removeOnFail: { age: 30 * 24 * 3600, count: 500 } };

export function createQueues(connection: Redis, prefix: string = DEFAULT_PREFIX): Queues {
  const backup = new Queue<BackupJobData>(QUEUE_NAMES.backup, { connection, prefix, defaultJobOptions: { ...KEEP, attempts: 1 } });
  const restore = new Queue<RestoreJobData>(QUEUE_NAMES.restore, { connection, prefix, defaultJobOptions: { ...KEEP, attempts: 1 } });
  const deadman = new Queue<DeadmanJobData>(QUEUE_NAMES.deadman, {
    connection,
    prefix,
    defaultJobOptions: { removeOnComplete: { count: 50 }, removeOnFail: { count: 50 }, attempts: 1 },
  });
  return {
    prefix,
    backup,
    restore,
    deadman,
    async close() {
      await Promise.allSettled([backup.close(), restore.close(), deadman.close()]);
    },
  };
}

/**
 * A connection for short-lived processes (the CLI): gives up instead of retrying forever, so a
 * missing Redis is an error within `timeoutMs`, not a hang.
 */
export async function connectRedisBounded(url: string, timeoutMs: number): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 2,
    retryStrategy: (times) => (times > 3 ? null : 500),
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
  } catch {
    redis.disconnect();
    throw new BotError('redis_unreachable', `Redis at ${redactUrl(url)} is not reachable (REDIS_URL): backups need it for the shared operations lock and the history`);
  }
  return redis;
}
