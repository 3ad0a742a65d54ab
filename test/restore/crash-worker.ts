/**
 * The bot's workers in a process of their own, built the way src/main.ts builds them (runtime, the
 * BullMQ and command Redis connections, queues, startWorkers with the restore processor), so that
 * test/restore/worker-crash.test.ts can SIGKILL it mid-restore. Config comes from the environment
 * (secrets never in arguments); the arguments are the queue prefix and the stall timings only:
 *   node --import tsx test/restore/crash-worker.ts --prefix P --lock-duration MS --stalled-interval MS
 * Prints "worker ready" on stdout once the workers listen.
 */
import { parseArgs } from 'node:util';
import { WebClient } from '@slack/web-api';
import { startWorkers } from '../../jobs/index.ts';
import { createRestoreProcessor } from '../../jobs/restore.ts';
import { loadConfig } from '../../src/config.ts';
import { createHistoryStore } from '../../src/history/history.ts';
import { createLogger } from '../../src/log.ts';
import { createCommandRedis, createQueues, createRedis } from '../../src/queue/queues.ts';
import { createRuntime } from '../../src/runtime.ts';

function main(): void {
  const { values } = parseArgs({ options: { prefix: { type: 'string' }, 'lock-duration': { type: 'string' }, 'stalled-interval': { type: 'string' } } });
  const prefix = values.prefix;
  const lockDurationMs = Number(values['lock-duration']);
  const stalledIntervalMs = Number(values['stalled-interval']);
  if (!prefix || !(lockDurationMs > 0) || !(stalledIntervalMs > 0)) throw new Error('usage: crash-worker.ts --prefix P --lock-duration MS --stalled-interval MS');

  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const rt = createRuntime(config, logger);
  const onError = (err: Error): void => logger.warn({ err: err.message }, 'redis error');
  const connection = createRedis(config.redisUrl, { connectTimeoutMs: config.connectTimeoutMs, onError });
  const redis = createCommandRedis(config.redisUrl, { connectTimeoutMs: config.connectTimeoutMs, onError });
  const queues = createQueues(connection, prefix);
  // Bolt is not started here: the Web API client is what the restore job posts its thread with.
  const slack = config.slack.botToken ? new WebClient(config.slack.botToken, { slackApiUrl: config.slack.apiUrl, retryConfig: { retries: 2 } }) : undefined;
  const workers = startWorkers({
    connection,
    queues,
    logger,
    backup: { backup: rt.deps, redis, history: createHistoryStore(redis, queues.prefix), offsite: undefined, slack, nextRun: async () => undefined },
    deadman: { redis, prefix: queues.prefix, backupRoot: config.backupRoot, slack, channel: config.slack.channel, oncallGroup: config.slack.oncallGroup, timeZone: config.timeZone },
    restore: createRestoreProcessor({ backup: rt.deps, redis, slack }),
    restoreStall: { lockDurationMs, stalledIntervalMs },
  });
  // A SIGTERM from the test's cleanup: the same orderly stop as the bot's (the crash is SIGKILL).
  process.once('SIGTERM', () => {
    setTimeout(() => process.exit(1), 10_000).unref();
    void (async () => {
      await workers.close();
      await queues.close();
      connection.disconnect();
      redis.disconnect();
      await rt.close();
      process.exit(0);
    })();
  });
  // The test holds our stdin open; if the test process dies without killing us, we go too.
  process.stdin.resume();
  process.stdin.once('end', () => process.exit(1));
  process.stdout.write('worker ready\n');
}

main();
