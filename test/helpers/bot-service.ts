/**
 * The bot as a Swarm service of the harness engine, as it runs on a manager node: its own service
 * (never part of the OpenCRVS stack it takes down), host network, restart on any exit, its
 * configuration from a file (CRVS_CONFIG_FILE, mode 600: secrets never in argv or the service
 * spec). The image is the harness's node image with the project mounted at its own path: the
 * deploy/Dockerfile needs the npm registry to build, which the tests do not have.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MIGRATION_IMAGE } from '../../scripts/services/docker-images.ts';
import { docker } from './swarm.ts';

const PROJECT = resolve(import.meta.dirname, '..', '..');

export interface BotService {
  name: string;
  /** Tasks of the service, newest first: "<state>|<error>". */
  tasks(): Promise<string[]>;
  logs(): Promise<string>;
  remove(): Promise<void>;
}

/** Creates the bot's service; `env` is written to `<dir>/bot.env` and read by the bot's config loader. */
export async function startBotService(name: string, dir: string, env: Record<string, string>): Promise<BotService> {
  const file = join(dir, 'bot.env');
  writeFileSync(file, Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n') + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  await docker([
    'service', 'create', '--detach', '--name', name,
    '--network', 'host',
    '--restart-condition', 'any', '--restart-delay', '1s',
    '--mount', `type=bind,source=${PROJECT},target=${PROJECT}`,
    '--mount', 'type=tmpfs,target=/tmp',
    '--env', `CRVS_CONFIG_FILE=${file}`,
    '--workdir', PROJECT,
    MIGRATION_IMAGE, 'bin/start.js',
  ]);
  return {
    name,
    async tasks() {
      const out = await docker(['service', 'ps', '--no-trunc', '--format', '{{.CurrentState}}|{{.Error}}', name]);
      return out.split('\n').filter(Boolean);
    },
    logs: () => docker(['service', 'logs', '--raw', name], 30_000).catch((e: unknown) => String(e)),
    async remove() {
      await docker(['service', 'rm', name]).catch(() => undefined);
    },
  };
}
