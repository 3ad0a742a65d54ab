/**
 * The console's manager node: the harness sshd with, behind it, the harness's REAL Docker engine
 * when it runs (the OpenCRVS-shaped test stack `opencrvs`, its migration service really applying
 * migrations into the console's databases), or — where Docker cannot run — the labelled rehearsal
 * stand-in `docker` (rehearsal-docker.sh) and the migration player.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import type { Config } from '../../src/config.ts';
import { dockerPaths } from '../services/docker-scripts.ts';
import { writeMigrationControl } from '../services/docker-stack.ts';
import { rehearsalManager } from './manager-node.ts';
import { startMigrationPlayer } from './migration-player.ts';
import { newPgClient } from '../../src/stores/postgres/index.ts';

const execFileP = promisify(execFile);
export const CONSOLE_STACK = 'opencrvs';

/** One row of node-pg-migrate's table, as the events service's migrations add (v1.9+): for the stand-in. */
async function applyPgMigration(config: Config, name: string): Promise<void> {
  const c = newPgClient(config, config.postgres.databases[0] ?? 'events');
  await c.connect();
  try {
    await c.query('CREATE SCHEMA IF NOT EXISTS app; CREATE TABLE IF NOT EXISTS app.pgmigrations (id serial PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL)');
    await c.query('INSERT INTO app.pgmigrations (name, run_on) VALUES ($1, now())', [name]);
  } finally {
    await c.end();
  }
}

export interface ConsoleManager {
  kind: 'engine' | 'stand-in';
  /** For the page: what the manager node is. */
  description: string;
  /** Called before each /restore (the stand-in is re-armed: tests may have replaced it). */
  beforeRestore(): void;
  stop(): Promise<void>;
}

/** The variables the console's configuration needs for this manager (the stand-in cannot quiesce). */
export function managerEnv(servicesEnv: Record<string, string>): Record<string, string> {
  if (engineRunning(servicesEnv)) return { REDEPLOY_STACK: CONSOLE_STACK, MIGRATION_SERVICE: `${CONSOLE_STACK}_migration` };
  return { REDEPLOY_COMMAND: 'docker stack deploy --compose-file docker-compose.deploy.yml opencrvs', QUIESCE_BEFORE_RESTORE: 'false' };
}

/** True when the harness's Docker engine is up (the `docker` service of npm run services). */
export function engineRunning(servicesEnv: Record<string, string>): boolean {
  const pidFile = servicesEnv['DOCKER_PID_FILE'];
  if (!pidFile || !existsSync(pidFile)) return false;
  try {
    process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 0);
    return true;
  } catch {
    return false;
  }
}

async function realEngine(config: Config, servicesEnv: Record<string, string>): Promise<ConsoleManager> {
  const p = dockerPaths(dirname(servicesEnv['DOCKER_PID_FILE'] as string));
  writeMigrationControl(p.controlDir, CONSOLE_STACK, {
    mongoUrl: config.mongo.url,
    databases: config.mongo.databases.slice(0, 3),
    postgresUrl: servicesEnv['POSTGRES_URL'],
    postgresPassword: servicesEnv['POSTGRES_PASSWORD'],
    migrations: 3,
    delayMs: 1000,
    fail: false,
  });
  const env = { ...process.env, DOCKER_HOST: `unix://${p.socket}` };
  const { stdout } = await execFileP('docker', ['service', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${CONSOLE_STACK}`], { env, timeout: 30_000 });
  // OpenCRVS "runs" before the first restore, so that the restore has something to stop.
  if (stdout.trim() === '') await execFileP('sh', [p.deployScript, CONSOLE_STACK], { timeout: 120_000 });
  const where = config.manager ? `${config.manager.host}:${config.manager.port}` : '';
  return {
    kind: 'engine',
    description: `harness sshd ${where} with the local Docker engine (swarm, stack ${CONSOLE_STACK}: placeholder services and a migration service that really applies migrations)`,
    beforeRestore: () => undefined,
    stop: async () => undefined,
  };
}

/** The real engine when it runs, else the stand-in (installed, checked over SSH, with its migration player). */
export async function consoleManager(config: Config, servicesEnv: Record<string, string>, stateDir: string, onError: (m: string) => void): Promise<ConsoleManager> {
  if (engineRunning(servicesEnv)) return realEngine(config, servicesEnv);
  const manager = rehearsalManager(config, stateDir);
  manager.install();
  await manager.check();
  const player = startMigrationPlayer({
    stateDir: manager.stateDir,
    mongoUrl: config.mongo.url,
    databases: config.mongo.databases.slice(0, 3),
    onError,
    ...(config.stores.includes('postgres') ? { alsoApply: (name: string) => applyPgMigration(config, name) } : {}),
  });
  const where = config.manager ? `${config.manager.host}:${config.manager.port}` : '';
  return {
    kind: 'stand-in',
    description: `harness sshd ${where} with a REHEARSAL stand-in docker`,
    beforeRestore: () => manager.install(),
    async stop() {
      await player.stop();
      manager.remove();
    },
  };
}
