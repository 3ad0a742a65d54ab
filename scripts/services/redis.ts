/** Redis: Debian's redis-server on a free loopback port. */
import { join } from 'node:path';
import type { ServiceSpec } from './types.ts';
import { run, spawnDaemon, waitFor, which } from './util.ts';

export const redis: ServiceSpec = {
  name: 'redis',
  overrideVar: 'CRVS_TEST_REDIS_URL',
  async install() {
    if (!(await which('redis-server'))) throw new Error('redis-server is not installed: apt-get install redis-server (.ci/run does it)');
  },
  async start(ctx) {
    const port = await ctx.freePort();
    const pid = spawnDaemon(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', ctx.dataDir, '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'],
      { logFile: join(ctx.dataDir, 'redis.log') },
    );
    const info = await waitFor('redis', async () => run('redis-cli', ['-p', String(port), 'INFO', 'server'], { timeoutMs: 2000 }), 20_000, pid);
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    const url = `redis://127.0.0.1:${port}`;
    return { name: 'redis', version, url, pid, pids: [pid], real: true, env: { REDIS_URL: url } };
  },
  async external(url) {
    return { name: 'redis', version: 'external', url, pid: 0, pids: [], real: true, env: { REDIS_URL: url } };
  },
};
