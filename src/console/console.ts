/**
 * The local console: the bot, unchanged, in HTTP mode against the fake Slack Web API (the same
 * one the tests use) and the harness's local services, with a web page that plays the Slack
 * client. Used by `npm start` without Slack credentials and by the browser test.
 */
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { Redis } from 'ioredis';
import { consoleManager, managerEnv } from '../../scripts/console/console-manager.ts';
import { seedAll } from '../../scripts/seed/index.ts';
import { loadConfig, type Config } from '../config.ts';
import { resolveProfile } from '../profile/detect.ts';
import { startReindexStandIn } from '../../scripts/console/reindex-player.ts';
import { startFakeSlack, type BotTarget, type FakeSlack } from '../fake-slack/index.ts';
import type { Logger } from '../log.ts';
import { startBot, type BotHandle } from '../main.ts';
import { createAdapters } from '../stores/registry.ts';
import type { StoreName } from '../stores/types.ts';
import { startPageServer, type PageServer } from './page-server.ts';
import { CONSOLE_CHANNEL, idsWithRole, PEOPLE } from './people.ts';

export interface ConsoleOptions {
  /** Variables of the running local services (.services/env). */
  servicesEnv: Record<string, string>;
  /** Shown on the page. */
  services: Array<{ name: string; version: string; url: string }>;
  /** The harness's .services folder (the stand-in keeps its state below it). */
  servicesDir: string;
  /** Default <servicesDir>/backups/console. */
  backupRoot?: string;
  /** Redis database of the console's queues, approvals and lock (default 1; tests use their own). */
  redisDb?: number;
  /** Page port; 0 picks a free one. When taken, a free one is used instead. */
  port?: number;
  /** Seed empty stores with scale 1 sample data (default true). */
  seed?: boolean;
  logger: Logger;
  logLevel?: Config['logLevel'];
  /** One line per start-up step, for the terminal. */
  progress?: (line: string) => void;
}

export interface ConsoleHandle {
  url: string;
  fake: FakeSlack;
  bot: BotHandle;
  target: BotTarget;
  config: Config;
  /** Stores seeded at start (empty when they all had data). */
  seeded: StoreName[];
  stop(): Promise<void>;
}

/**
 * The harness's .services folder (it may be moved with CRVS_SERVICES_DIR): the harness writes
 * BACKUP_ROOT=<services>/backups into .services/env.
 */
export function servicesDirOf(env: Record<string, string>): string {
  const root = env['BACKUP_ROOT'];
  if (!root) throw new Error('BACKUP_ROOT is missing from the services environment: is the harness up?');
  return dirname(root);
}

function withDb(url: string, db: number): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/** The bot's configuration for the console: local services, fake Slack, a short migration watch. */
export function consoleConfig(o: ConsoleOptions, fake: FakeSlack, secrets: { token: string; signingSecret: string }, reindexUrl?: string): Config {
  const env = o.servicesEnv;
  const redis = env['REDIS_URL'];
  if (!redis) throw new Error('REDIS_URL is missing from the services environment: is the harness up?');
  return loadConfig({
    ...env,
    LOG_LEVEL: o.logLevel ?? 'info',
    REDIS_URL: withDb(redis, o.redisDb ?? 1),
    BACKUP_ROOT: o.backupRoot ?? join(o.servicesDir, 'backups', 'console'),
    // Its own folder on the offsite server and its own snapshot repository: the console's retention
    // never prunes what tests or other runs stored.
    BACKUP_SERVER_DIR: env['BACKUP_SERVER_DIR'] ? join(env['BACKUP_SERVER_DIR'], 'console') : undefined,
    ES_REPOSITORY: 'console',
    SLACK_MODE: 'http',
    SLACK_BOT_TOKEN: secrets.token,
    SLACK_SIGNING_SECRET: secrets.signingSecret,
    SLACK_API_URL: fake.apiUrl,
    SLACK_CHANNEL: CONSOLE_CHANNEL.id,
    SLACK_OPERATORS: idsWithRole('operator').join(','),
    SLACK_APPROVERS: idsWithRole('approver').join(','),
    // The harness engine's stack when it runs; the stand-in's deploy otherwise.
    ...managerEnv(env),
    STACK_DOWN_TIMEOUT_SECONDS: '120',
    MIGRATION_POLL_SECONDS: '1',
    MIGRATION_PROGRESS_SECONDS: '2',
    MIGRATION_TIMEOUT_HOURS: '0.1',
    // OpenCRVS's auth and events services are played (reindex-player.ts): the reindex is rehearsed too.
    ...(reindexUrl ? { REINDEX_AUTH_URL: reindexUrl, REINDEX_EVENTS_URL: reindexUrl, REINDEX_TIMEOUT_MINUTES: '5' } : {}),
  });
}

/** Seeds (scale 1) every store that holds nothing; returns the stores seeded. */
async function seedEmptyStores(config: Config, logger: Logger): Promise<StoreName[]> {
  const adapters = createAdapters(config, logger);
  const empty: StoreName[] = [];
  try {
    for (const [name, adapter] of adapters) {
      try {
        const counts = await adapter.counts();
        if (Object.values(counts).reduce((n, v) => n + v, 0) === 0) empty.push(name);
      } catch (err) {
        // A fresh server may lack the database, bucket or index the count asks for: seed it. An
        // unreachable server fails the seeding below with its own message.
        logger.info({ store: name, err: err instanceof Error ? err.message : String(err) }, 'store not countable; seeding it');
        empty.push(name);
      }
    }
  } finally {
    await Promise.allSettled([...adapters.values()].map((a) => a.close()));
  }
  if (empty.length > 0) await seedAll(config, { scale: 1, seed: 1 }, empty);
  return empty;
}

/** A clean slate: the fake Slack starts empty, so queued jobs and approvals of an earlier run would point nowhere. */
async function flushConsoleRedis(url: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 2, lazyConnect: true, connectTimeout: 10_000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}

export async function startConsole(o: ConsoleOptions): Promise<ConsoleHandle> {
  const say = o.progress ?? (() => undefined);
  const secrets = { token: `xoxb-console-${randomBytes(8).toString('hex')}`, signingSecret: randomBytes(24).toString('hex') };
  const fake = await startFakeSlack({ botToken: secrets.token, users: PEOPLE.map((p) => ({ id: p.id, name: p.name.toLowerCase() })) });
  const stops: Array<() => Promise<void>> = [() => fake.close()];
  let stopped = false;
  const stopAll = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const stop of [...stops].reverse()) await stop().catch(() => undefined);
  };
  try {
    // Decided before seeding: an empty machine becomes a current (v1.9+) deployment, PostgreSQL included.
    const reindex = await startReindexStandIn({ runs: ['none', { status: 'running', processed: 400 }, { status: 'running', processed: 1100 }, { status: 'completed', processed: 1600 }] });
    stops.push(() => reindex.close());
    const config = await resolveProfile(consoleConfig(o, fake, secrets, reindex.url), o.logger);
    await flushConsoleRedis(config.redisUrl);
    let seeded: StoreName[] = [];
    if (o.seed !== false) {
      say('checking the sample data…');
      seeded = await seedEmptyStores(config, o.logger);
      if (seeded.length > 0) say(`seeded scale 1 sample data into: ${seeded.join(', ')}`);
    }
    const manager = await consoleManager(config, o.servicesEnv, join(o.servicesDir, 'console', 'manager'), (message) =>
      o.logger.warn({ err: message }, 'rehearsal migration player failed'),
    );
    stops.push(() => manager.stop());
    say(manager.kind === 'engine' ? 'manager node: the local Docker engine (stack opencrvs)' : 'manager node: the rehearsal stand-in docker (no Docker engine here)');
    const bot = await startBot(config, { listen: { host: '127.0.0.1', port: 0 }, logger: o.logger });
    stops.push(() => bot.stop());
    const port = bot.slack?.port();
    if (!port) throw new Error('the bot did not open its HTTP receiver');
    const target: BotTarget = { url: `http://127.0.0.1:${port}/slack/events`, signingSecret: secrets.signingSecret };
    const page: PageServer = await startPageServer({
      fake,
      bot: target,
      channel: CONSOLE_CHANNEL.id,
      logger: o.logger,
      port: o.port ?? 0,
      info: {
        channelName: CONSOLE_CHANNEL.name,
        services: o.services,
        backupRoot: config.backupRoot,
        managerNode: manager.description,
        realEngine: manager.kind === 'engine',
        commands: bot.slack?.commands ?? [],
      },
      // Tests of the restore job put their own fake docker in the same folder: re-arm ours.
      beforeCommand: (name) => {
        if (name === '/restore') manager.beforeRestore();
      },
    });
    stops.push(() => page.close());
    return { url: page.url, fake, bot, target, config, seeded, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
