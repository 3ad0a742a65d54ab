/**
 * The bot's workers in a process of their own, built the way src/main.ts builds them (runtime, the
 * BullMQ and command Redis connections, queues, startWorkers with the restore processor), so that
 * test/restore/crash-matrix.test.ts can SIGKILL it mid-restore. Config comes from the environment
 * (secrets never in arguments); the arguments are the queue prefix and the stall timings only:
 *   node --import tsx test/restore/crash-worker.ts --prefix P --lock-duration MS --stalled-interval MS
 *        [--max-stalled N] [--suspend-retry MS] [--die-at STEP=STATE[+MS]]
 * Prints "worker ready" on stdout once the workers listen.
 *
 * --die-at: the process SIGKILLs itself right after the restore's checkpoint records STATE
 * (started or done) for STEP — at a step boundary — or MS milliseconds later, in the middle of the
 * step's work. The checkpoint write is seen on the command connection, so the kill lands exactly
 * where the job is, not where a poller happened to look.
 */
import { parseArgs } from 'node:util';
import { WebClient } from '@slack/web-api';
import { startWorkers } from '../../jobs/index.ts';
import { createRestoreProcessor, reportStalledOut, type RestoreProcessorDeps } from '../../jobs/restore.ts';
import type { ChainableCommander, Redis } from 'ioredis';
import { loadConfig } from '../../src/config.ts';
import { createHistoryStore } from '../../src/history/history.ts';
import { createLogger } from '../../src/log.ts';
import { createCommandRedis, createQueues, createRedis } from '../../src/queue/queues.ts';
import { createRuntime } from '../../src/runtime.ts';

interface DieAt {
  field: string;
  state: string;
  afterMs: number;
}

function parseDieAt(spec: string | undefined): DieAt | undefined {
  if (!spec) return undefined;
  const m = /^([\w:-]+)=(started|done)(?:\+(\d+))?$/.exec(spec);
  if (!m) throw new Error(`bad --die-at ${spec}: STEP=started|done[+MS]`);
  return { field: `step:${m[1]}`, state: m[2] as string, afterMs: Number(m[3] ?? 0) };
}

/** Watches the checkpoint writes (multi → hset → exec) of `redis` and dies at `at`. */
function dieAt(redis: Redis, at: DieAt): void {
  const multi = redis.multi.bind(redis) as (...args: unknown[]) => ChainableCommander;
  const die = (): void => {
    process.kill(process.pid, 'SIGKILL');
  };
  (redis as unknown as { multi: (...args: unknown[]) => ChainableCommander }).multi = (...args: unknown[]) => {
    const tx = multi(...args);
    let hit = false;
    const hset = tx.hset.bind(tx) as (...a: unknown[]) => ChainableCommander;
    (tx as unknown as { hset: (...a: unknown[]) => ChainableCommander }).hset = (...a: unknown[]) => {
      const [, field, value] = a;
      if (field === at.field && typeof value === 'string' && (JSON.parse(value) as { state?: string }).state === at.state) hit = true;
      return hset(...a);
    };
    const exec = tx.exec.bind(tx);
    tx.exec = async () => {
      const r = await exec();
      if (hit) {
        if (at.afterMs === 0) die();
        else setTimeout(die, at.afterMs);
      }
      return r;
    };
    return tx;
  };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      prefix: { type: 'string' },
      'lock-duration': { type: 'string' },
      'stalled-interval': { type: 'string' },
      'max-stalled': { type: 'string' },
      'suspend-retry': { type: 'string' },
      'die-at': { type: 'string' },
    },
  });
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
  const at = parseDieAt(values['die-at']);
  if (at) dieAt(redis, at);
  const queues = createQueues(connection, prefix);
  // Bolt is not started here: the Web API client is what the restore job posts its thread with.
  const slack = config.slack.botToken ? new WebClient(config.slack.botToken, { slackApiUrl: config.slack.apiUrl, retryConfig: { retries: 2 } }) : undefined;
  const restoreDeps: RestoreProcessorDeps = { backup: rt.deps, redis, slack, suspendRetryMs: values['suspend-retry'] ? Number(values['suspend-retry']) : undefined };
  const workers = startWorkers({
    connection,
    queues,
    logger,
    backup: { backup: rt.deps, redis, history: createHistoryStore(redis, queues.prefix), offsite: undefined, slack, nextRun: async () => undefined },
    deadman: { redis, prefix: queues.prefix, backupRoot: config.backupRoot, slack, channel: config.slack.channel, oncallGroup: config.slack.oncallGroup, timeZone: config.timeZone },
    restore: createRestoreProcessor(restoreDeps),
    onRestoreStalledOut: (job) => reportStalledOut(restoreDeps, job),
    restoreStall: { lockDurationMs, stalledIntervalMs, maxStalledCount: values['max-stalled'] ? Number(values['max-stalled']) : undefined },
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
