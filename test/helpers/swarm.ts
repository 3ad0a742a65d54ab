/**
 * The harness's real Docker engine in tests: a stack of its own per test (the OpenCRVS-shaped
 * fixture, test/fixtures/swarm/opencrvs-stack.yml), its migration service's control file, and the
 * docker CLI for assertions. A test that needs the engine fails when it is missing.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { writeMigrationControl, type MigrationControl } from '../../scripts/services/docker-stack.ts';
import { dockerPaths, type DockerPaths } from '../../scripts/services/docker-scripts.ts';
import { servicesEnv } from './env.ts';

const execFileP = promisify(execFile);

/** The harness engine's files; throws when the docker service is not up. */
export function engine(): DockerPaths {
  const pidFile = servicesEnv()['DOCKER_PID_FILE'];
  if (!pidFile || !existsSync(pidFile)) throw new Error('the harness Docker engine is not running (npm run services -- up starts it)');
  return dockerPaths(dirname(pidFile));
}

/** Runs the docker CLI against the harness engine; returns stdout. */
export async function docker(args: string[], timeoutMs = 60_000): Promise<string> {
  const p = engine();
  const { stdout } = await execFileP('docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${p.socket}` }, timeout: timeoutMs });
  return stdout;
}

/** A fresh stack name (the swarm is shared by the tests of a run). */
export function stackName(): string {
  return `t${randomBytes(3).toString('hex')}`;
}

/** The configuration variables that point a restore at `stack` on the harness engine. */
export function stackEnv(stack: string, extra: { image?: string } = {}): Record<string, string> {
  const p = engine();
  const image = extra.image ? `CRVS_MIGRATION_IMAGE=${extra.image} ` : '';
  return {
    REDEPLOY_STACK: stack,
    REDEPLOY_COMMAND: `${image}sh ${p.deployScript} ${stack}`,
    DOCKER_RESTART_COMMAND: `sh ${p.restartScript}`,
    DOCKER_PID_FILE: p.pidFile,
    MIGRATION_SERVICE: `${stack}_migration`,
  };
}

/** Writes the stack's migration control file (see test/fixtures/swarm/migrate.mjs). */
export function migrationControl(stack: string, control: Partial<MigrationControl> & { databases: string[] }): void {
  const env = servicesEnv();
  const mongoUrl = env['MONGO_URL'];
  if (!mongoUrl) throw new Error('MONGO_URL missing from the harness variables');
  writeMigrationControl(engine().controlDir, stack, {
    mongoUrl,
    postgresUrl: env['POSTGRES_URL'],
    postgresPassword: env['POSTGRES_PASSWORD'],
    migrations: 3,
    delayMs: 100,
    fail: false,
    ...control,
  });
}

/**
 * Deploys `stack` and waits (bounded) until its application services run and its first migration
 * run is Complete: a test that seeds data afterwards must not race the migration service's writes.
 */
export async function deployStack(stack: string): Promise<void> {
  const p = engine();
  await execFileP('sh', [p.deployScript, stack], { timeout: 60_000 });
  await until(`stack ${stack} running`, 90_000, async () => {
    const out = await docker(['service', 'ls', '--filter', `label=com.docker.stack.namespace=${stack}`, '--format', '{{.Name}} {{.Replicas}}']);
    const rows = out.trim().split('\n').filter((l) => !l.includes('_migration'));
    if (rows.length < 10 || !rows.every((r) => /\s1\/1$/.test(r))) return false;
    const tasks = await docker(['service', 'ps', '--format', '{{.CurrentState}}', `${stack}_migration`]);
    return /^Complete\b/.test(tasks.trim());
  });
}

/** Removes `stack` and waits until its services are gone. */
export async function removeStack(stack: string): Promise<void> {
  await docker(['stack', 'rm', stack]).catch(() => undefined);
  await until(`stack ${stack} removed`, 60_000, async () => (await docker(['service', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${stack}`])).trim() === '');
}

/** Running containers of `stack` by service short name. */
export async function runningContainers(stack: string): Promise<Record<string, number>> {
  const out = await docker(['ps', '--filter', `label=com.docker.stack.namespace=${stack}`, '--format', '{{.Label "com.docker.swarm.service.name"}}']);
  const counts: Record<string, number> = {};
  for (const name of out.trim().split('\n').filter(Boolean)) counts[name.slice(stack.length + 1)] = (counts[name.slice(stack.length + 1)] ?? 0) + 1;
  return counts;
}

/** Seconds the harness engine has been running. */
export async function engineUptimeSeconds(): Promise<number> {
  const { stdout } = await execFileP('sh', ['-c', 'ps -o etimes= -p "$(cat "$1")"', 'sh', engine().pidFile]);
  return Number(stdout.trim());
}

/** Polls `check` every 250 ms until true; throws after `timeoutMs`. */
export async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}


/**
 * stackEnv, with the deploy and restart commands also appending a line to `logFile` before they
 * run the real thing: how a test tells that each ran exactly once.
 */
export function countedStackEnv(stack: string, logFile: string): Record<string, string> {
  const env = stackEnv(stack);
  const q = `'${logFile.replace(/'/g, `'\\''`)}'`;
  return {
    ...env,
    REDEPLOY_COMMAND: `echo deploy >> ${q} && ${env['REDEPLOY_COMMAND']}`,
    DOCKER_RESTART_COMMAND: `echo restart >> ${q} && ${env['DOCKER_RESTART_COMMAND']}`,
  };
}

/** Lines of a countedStackEnv log: how often each command ran. */
export function commandCounts(logFile: string): { deploy: number; restart: number } {
  const lines = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n') : [];
  return { deploy: lines.filter((l) => l === 'deploy').length, restart: lines.filter((l) => l === 'restart').length };
}
