/** The bot's BullMQ queues over one Redis connection, built in main.ts (or by a test). */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
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
export function createRedis(url: string, opts: { connectTimeoutMs?: number } = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, connectTimeout: opts.connectTimeoutMs ?? 10_000, lazyConnect: false });
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
