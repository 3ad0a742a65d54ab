/** Shared set-up for the pipeline tests: real Redis, Mongo and InfluxDB from the harness, the fake Slack. */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { WebClient } from '@slack/web-api';
import { MongoClient } from 'mongodb';
import { Redis } from 'ioredis';
import type { BackupDeps } from '../../src/backup/deps.ts';
import type { Config } from '../../src/config.ts';
import { startFakeSlack, type FakeSlack } from '../../src/fake-slack/index.ts';
import { createHistoryStore, type HistoryStore } from '../../src/history/history.ts';
import { createLogger } from '../../src/log.ts';
import { createQueues, createRedis, type Queues } from '../../src/queue/queues.ts';
import { createElasticsearchAdapter } from '../../src/stores/elasticsearch/index.ts';
import { createInfluxAdapter } from '../../src/stores/influxdb/index.ts';
import { createMongoAdapter } from '../../src/stores/mongo/index.ts';
import type { StoreAdapter, StoreName } from '../../src/stores/types.ts';
import { servicesEnv, testConfig } from '../helpers/env.ts';

export const CHANNEL = 'C0REPORTS';
export const ONCALL = 'S0ONCALL';
export const TOKEN = 'xoxb-pipeline-test';

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const addr = srv.address();
  await new Promise<void>((r) => srv.close(() => r()));
  if (!addr || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

/** Writes `n` documents in each of two collections of `db` on the harness MongoDB. */
export async function seedMongo(url: string, db: string, n: number): Promise<void> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 10_000 });
  try {
    await client.connect();
    const d = client.db(db);
    await d.collection('Patient').insertMany(Array.from({ length: n }, (_, i) => ({ i, name: `p${i}` })));
    await d.collection('Task').insertMany(Array.from({ length: Math.ceil(n / 2) }, (_, i) => ({ i, state: 'done' })));
  } finally {
    await client.close();
  }
}

export interface Env {
  config: Config;
  prefix: string;
  redis: Redis;
  /**
   * The connection for the shared operations lock, with a key prefix: other engineers' tests
   * take the real lock in the same Redis, and this test must not wait for them.
   */
  lockRedis: Redis;
  queues: Queues;
  history: HistoryStore;
  fake: FakeSlack;
  slack: WebClient;
  backup: BackupDeps;
  close(): Promise<void>;
}

const FACTORIES: Partial<Record<StoreName, (c: Config) => StoreAdapter>> = {
  mongo: (c) => createMongoAdapter(c, createLogger('silent')),
  influxdb: (c) => createInfluxAdapter(c, createLogger('silent')),
  elasticsearch: (c) => createElasticsearchAdapter(c, createLogger('silent')),
};

/** A private world for one test: fresh queue prefix, backup root, Mongo database and Slack fake. */
export async function makeEnv(overrides: Record<string, string> = {}): Promise<Env> {
  const id = randomUUID().slice(0, 8);
  const fake = await startFakeSlack({ botToken: TOKEN });
  const env = servicesEnv();
  const config = testConfig({
    BACKUP_STORES: 'mongo',
    MONGO_DATABASES: `pipe_${id}`,
    CONNECT_TIMEOUT_SECONDS: '2',
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_API_URL: fake.apiUrl,
    SLACK_CHANNEL: CHANNEL,
    SLACK_ONCALL_GROUP: ONCALL,
    BACKUP_TIME_ZONE: 'Africa/Kampala',
    BACKUP_SERVER_HOST: '',
    BACKUP_SERVER_DIR: `${env['BACKUP_SERVER_DIR'] ?? '/tmp'}/pipeline-${id}`,
    ...overrides,
  });
  const redis = createRedis(config.redisUrl);
  const prefix = `t-${id}`;
  const queues = createQueues(redis, prefix);
  const lockRedis = new Redis(config.redisUrl, { keyPrefix: `${prefix}:` });
  const adapters = new Map<StoreName, StoreAdapter>();
  for (const s of config.stores as StoreName[]) {
    const f = FACTORIES[s];
    if (!f) throw new Error(`no adapter factory for ${s} in the pipeline tests`);
    adapters.set(s, f(config));
  }
  const backup: BackupDeps = { config, logger: createLogger('silent'), adapters, botVersion: 'test' };
  const slack = new WebClient(TOKEN, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });
  return {
    config,
    prefix,
    redis,
    lockRedis,
    queues,
    history: createHistoryStore(redis, prefix),
    fake,
    slack,
    backup,
    async close() {
      await queues.close();
      await Promise.allSettled([...adapters.values()].map((a) => a.close()));
      redis.disconnect();
      lockRedis.disconnect();
      await fake.close();
    },
  };
}

/** Root messages (not thread replies) in the report channel. */
export function rootMessages(fake: FakeSlack): Array<{ text: string; blocks: string; ts: string }> {
  return fake.messages.filter((m) => m.channel === CHANNEL && m.threadTs === undefined).map((m) => ({ text: m.text, blocks: JSON.stringify(m.blocks), ts: m.ts }));
}

/** Polls until `probe` returns a value, at most `ms`. */
export async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
