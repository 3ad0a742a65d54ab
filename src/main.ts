/**
 * Starts the bot: config → clients → core → Slack surface → workers and schedulers. Returns a
 * handle whose stop() shuts everything down in order (used on SIGTERM, by the console and tests).
 */
import type { WebClientOptions } from '@slack/web-api';
import type { Config } from './config.ts';
import { userMessage } from './errors.ts';
import { createLogger, type Logger } from './log.ts';
import { createRuntime } from './runtime.ts';
import { resolveProfile } from './profile/detect.ts';
import { createCore } from './core/core.ts';
import { createHistoryStore } from './history/history.ts';
import { createOffsiteCopier } from './pipeline/offsite-adapter.ts';
import { createCommandRedis, createQueues, createRedis } from './queue/queues.ts';
import { nextNightlyRun } from './queue/scheduler.ts';
import { createSlackApp, type SlackSurface } from './slack/app.ts';
import { startSchedulers, startWorkers } from '../jobs/index.ts';
import { createRestoreProcessor, reportStalledOut, type RestoreProcessorDeps } from '../jobs/restore.ts';
import { copyWalOffsite } from './pitr/offsite.ts';
import { startPitrService } from './pitr/service.ts';
import { oncallMention } from './report/format.ts';

export interface BotHandle {
  slack: SlackSurface | undefined;
  logger: Logger;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Extra Slack Web API client options (the console points slackApiUrl at itself). */
  clientOptions?: WebClientOptions;
  /** HTTP mode: where to listen. */
  listen?: { host?: string; port?: number };
  /** Start without Slack (workers and schedulers only; reports are logged). */
  withoutSlack?: boolean;
}

export async function startBot(config: Config, opts: StartOptions = {}): Promise<BotHandle> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  config = await resolveProfile(config, logger);
  const rt = createRuntime(config, logger);
  const onError = (err: Error): void => logger.warn({ err: err.message }, 'redis error');
  // BullMQ's connection waits for Redis as long as it takes (it must); the bot's own commands
  // (lock, checkpoints, approvals, history) use a second one on which every command is bounded.
  const connection = createRedis(config.redisUrl, { connectTimeoutMs: config.connectTimeoutMs, onError });
  const redis = createCommandRedis(config.redisUrl, { connectTimeoutMs: config.connectTimeoutMs, onError });
  const queues = createQueues(connection);
  const history = createHistoryStore(redis, queues.prefix);
  const offsite = createOffsiteCopier(config, logger);
  const core = createCore({ backup: rt.deps, queues, redis, history, offsite });
  const slack = opts.withoutSlack ? undefined : createSlackApp({ config, core, redis, logger, clientOptions: opts.clientOptions, listen: opts.listen });
  const schedulers = await startSchedulers(queues, config, { logger });
  const restoreDeps: RestoreProcessorDeps = { backup: rt.deps, redis, slack: slack?.client };
  const workers = startWorkers({
    connection,
    queues,
    logger,
    backup: { backup: rt.deps, redis, history, offsite, slack: slack?.client, nextRun: () => nextNightlyRun(queues), enqueueRestore: (r) => core.enqueueRestore(r) },
    deadman: {
      redis,
      prefix: queues.prefix,
      backupRoot: config.backupRoot,
      slack: slack?.client,
      channel: config.slack.channel,
      oncallGroup: config.slack.oncallGroup,
      timeZone: config.timeZone,
    },
    restore: createRestoreProcessor(restoreDeps),
    onRestoreStalledOut: (job) => reportStalledOut(restoreDeps, job),
    restoreStall: { lockDurationMs: config.restore.jobLockMs, stalledIntervalMs: Math.ceil(config.restore.jobLockMs / 2) },
  });
  const pitr = config.pitr.enabled
    ? startPitrService({
        config,
        logger,
        copyOffsite: config.backupServer ? async (stream, names) => void (await copyWalOffsite(config, stream, names)) : undefined,
        notify: async (n) => {
          logger[n.level === 'info' ? 'info' : 'warn']({ text: n.text }, 'point-in-time archive');
          const client = slack?.client;
          if (!client || !config.slack.channel) return;
          const mention = n.level === 'alert' ? oncallMention(config.slack.oncallGroup) : '';
          await client.chat.postMessage({ channel: config.slack.channel, text: `${mention ? `${mention} ` : ''}${n.text}` });
        },
      })
    : undefined;
  await slack?.start();
  logger.info({ stores: config.stores, slack: slack ? config.slack.mode : 'off' }, 'bot started');
  let stopped = false;
  return {
    slack,
    logger,
    async stop() {
      if (stopped) return;
      stopped = true;
      schedulers.close();
      await slack?.stop().catch((err: unknown) => logger.warn({ err: userMessage(err) }, 'slack stop failed'));
      await pitr?.stop().catch((err: unknown) => logger.warn({ err: userMessage(err) }, 'pitr stop failed'));
      await workers.close();
      await queues.close();
      connection.disconnect();
      redis.disconnect();
      await rt.close();
    },
  };
}

/** Stops the bot on SIGTERM/SIGINT, bounded so a stuck client cannot keep the process alive. */
export function stopOnSignals(handle: BotHandle, graceMs = 30_000): void {
  const stop = (signal: string): void => {
    handle.logger.info({ signal }, 'stopping');
    setTimeout(() => process.exit(1), graceMs).unref();
    handle.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
