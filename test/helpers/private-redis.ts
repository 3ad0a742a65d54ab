/**
 * A private redis-server for one test file (never the harness's shared one): a free loopback port
 * from the OS, its own folder, append-only file fsynced on every write, so that a restart keeps
 * every checkpoint, lock and job. stop() / start() restart it on the same port with the same data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface PrivateRedis {
  url: string;
  port: number;
  start(): Promise<void>;
  /** SIGTERM (Redis saves and exits), waited for (bounded). */
  stop(): Promise<void>;
  /** Stops it for good and removes its folder. */
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function until(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'crvs-private-redis-'));
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;
  async function ping(): Promise<boolean> {
    const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
    c.on('error', () => undefined);
    try {
      await c.connect();
      return (await c.ping()) === 'PONG';
    } finally {
      c.disconnect();
    }
  }
  const handle: PrivateRedis = {
    url,
    port,
    async start() {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'no'];
      const c = spawn('redis-server', args, { stdio: 'ignore' });
      child = c;
      c.once('exit', () => {
        if (child === c) child = undefined;
      });
      await until(`private redis on port ${port}`, 120_000, ping);
    },
    async stop() {
      const c = child;
      if (!c) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
      if (child === c) c.kill('SIGKILL');
      await until(`private redis on port ${port} to stop`, 30_000, async () => !(await ping().catch(() => false)));
    },
    async close() {
      await handle.stop().catch(() => child?.kill('SIGKILL'));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await handle.start();
  return handle;
}
