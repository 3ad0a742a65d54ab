/**
 * The restore-to-a-moment step in a process of its own, so that test/pitr/crash.test.ts can SIGKILL
 * it mid-replay. Config from the environment (secrets never in arguments):
 *   node --import tsx test/pitr/pitr-worker.ts --request ID --target ISO
 * Takes the operations lock (short TTL: a killed worker's lock expires quickly), runs the step,
 * prints "done <asideDir>" and exits 0; on failure prints the user message and exits 1.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.ts';
import { userMessage } from '../../src/errors.ts';
import { acquireLock } from '../../src/lock.ts';
import { createLogger } from '../../src/log.ts';
import { createCommandRedis } from '../../src/queue/queues.ts';
import { runPitrStep } from '../../src/restore/pitr-step.ts';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { request: { type: 'string' }, target: { type: 'string' } } });
  if (!values.request || !values.target) throw new Error('usage: pitr-worker.ts --request ID --target ISO');
  const config = loadConfig();
  const redis = createCommandRedis(config.redisUrl);
  const lock = await acquireLock(redis, `pitr worker ${values.request}`, { waitMs: 180_000, ttlMs: 3000, pollMs: 200 });
  try {
    const r = await runPitrStep({ config, logger: createLogger('silent'), redis, lock, pollMs: 300, progress: (m) => process.stdout.write(`progress ${m}\n`) }, values.request, new Date(values.target));
    process.stdout.write(`done ${r.asideDir}\n`);
    return 0;
  } catch (err) {
    process.stdout.write(`failed ${userMessage(err)}\n`);
    return 1;
  } finally {
    await lock.release().catch(() => undefined);
    redis.disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stdout.write(`failed ${userMessage(err)}\n`);
    process.exit(1);
  },
);
