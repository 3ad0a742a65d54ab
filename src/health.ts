/**
 * The container health check (deploy/Dockerfile): the configuration loads and the bot's Redis
 * answers within a few seconds. Exit 0 healthy, 1 not; one line on stderr says why, never a secret.
 */
import { loadConfig } from './config.ts';
import { userMessage } from './errors.ts';
import { createCommandRedis } from './queue/queues.ts';

export async function healthCheck(): Promise<number> {
  try {
    const config = loadConfig();
    const redis = createCommandRedis(config.redisUrl, { connectTimeoutMs: 5000, commandTimeoutMs: 5000 });
    try {
      const pong = await redis.ping();
      return pong === 'PONG' ? 0 : 1;
    } finally {
      redis.disconnect();
    }
  } catch (err) {
    process.stderr.write(`unhealthy: ${userMessage(err)}\n`);
    return 1;
  }
}
