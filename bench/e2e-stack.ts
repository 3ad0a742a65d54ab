/**
 * The OpenCRVS-shaped stack of the end-to-end restore benchmark, on the harness's real Docker
 * engine (a swarm): deployed with the harness's deploy script, its migration service pointed at the
 * harness MongoDB and PostgreSQL, and removed (waited for) at the end so no service is left behind.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { dockerPaths, type DockerPaths } from '../scripts/services/docker-scripts.ts';
import { writeMigrationControl, type MigrationControl } from '../scripts/services/docker-stack.ts';

const execFileP = promisify(execFile);

/** A stack of the benchmark on the harness engine. */
export interface BenchStack {
  name: string;
  paths: DockerPaths;
  /** Configuration variables that point the bot's restore at this stack. */
  env: Record<string, string>;
  /** Services of the stack still present (0 once removed). */
  services(): Promise<number>;
  remove(): Promise<void>;
}

function docker(p: DockerPaths, args: string[], timeoutMs = 60_000): Promise<string> {
  return execFileP('docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${p.socket}` }, timeout: timeoutMs }).then((r) => r.stdout);
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Every service of the harness engine, one "name replicas" line each (to check nothing is left). */
export async function engineServices(servicesEnv: Record<string, string>): Promise<string[]> {
  const pidFile = servicesEnv['DOCKER_PID_FILE'];
  if (!pidFile) return [];
  const out = await docker(dockerPaths(dirname(pidFile)), ['service', 'ls', '--format', '{{.Name}} {{.Replicas}}']);
  return out.split('\n').filter(Boolean);
}

/**
 * Deploys a fresh stack and waits (bounded) until its ten services run and its first migration run
 * is Complete: data seeded afterwards must not race the migration service's first writes.
 */
export async function deployBenchStack(servicesEnv: Record<string, string>, control: Omit<MigrationControl, 'mongoUrl' | 'postgresUrl' | 'postgresPassword' | 'fail'>): Promise<BenchStack> {
  const pidFile = servicesEnv['DOCKER_PID_FILE'];
  const mongoUrl = servicesEnv['MONGO_URL'];
  if (!pidFile || !existsSync(pidFile)) throw new Error('the harness Docker engine is not running (npm run services -- up starts it)');
  if (!mongoUrl) throw new Error('MONGO_URL is missing from the services environment');
  const p = dockerPaths(dirname(pidFile));
  const name = `e2e${randomBytes(3).toString('hex')}`;
  writeMigrationControl(p.controlDir, name, { mongoUrl, postgresUrl: servicesEnv['POSTGRES_URL'], postgresPassword: servicesEnv['POSTGRES_PASSWORD'], fail: false, ...control });
  const stack: BenchStack = {
    name,
    paths: p,
    env: {
      REDEPLOY_STACK: name,
      REDEPLOY_COMMAND: `sh ${p.deployScript} ${name}`,
      DOCKER_RESTART_COMMAND: `sh ${p.restartScript}`,
      DOCKER_PID_FILE: p.pidFile,
      MIGRATION_SERVICE: `${name}_migration`,
    },
    async services() {
      return (await docker(p, ['service', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${name}`])).split('\n').filter(Boolean).length;
    },
    async remove() {
      await docker(p, ['stack', 'rm', name]).catch(() => undefined);
      await until(`stack ${name} removed`, 90_000, async () => (await stack.services()) === 0);
      // It holds the PostgreSQL password; no stack reads it any more.
      rmSync(join(p.controlDir, `${name}.json`), { force: true });
    },
  };
  try {
    await execFileP('sh', [p.deployScript, name], { timeout: 120_000 });
    await until(`stack ${name} running`, 180_000, async () => {
      const out = await docker(p, ['service', 'ls', '--filter', `label=com.docker.stack.namespace=${name}`, '--format', '{{.Name}} {{.Replicas}}']);
      const rows = out.trim().split('\n').filter((l) => !l.includes('_migration'));
      if (rows.length < 10 || !rows.every((r) => /\s1\/1$/.test(r))) return false;
      const tasks = await docker(p, ['service', 'ps', '--format', '{{.CurrentState}}', `${name}_migration`]);
      return /^Complete\b/.test(tasks.trim());
    });
  } catch (err) {
    await stack.remove().catch(() => undefined);
    throw err;
  }
  return stack;
}
