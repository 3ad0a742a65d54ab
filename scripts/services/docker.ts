/**
 * Docker: its own `dockerd` (Debian's docker.io) with data root, exec root, socket and pid file under
 * .services/docker/ — it never touches an engine the user runs — a single-node swarm on 127.0.0.1,
 * and the test images built locally FROM scratch (no registry is reachable, none is needed):
 *   crvs-test/busybox    Debian's busybox-static: the idle placeholders of the test stack
 *   crvs-test/migration  this machine's node binary and its shared libraries: the migration service
 * The harness sshd (the manager node) talks to this engine (DOCKER_HOST in its sessions).
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningService, ServiceContext, ServiceSpec } from './types.ts';
import { alive, readEnvFile, run, spawnDaemon, waitFor, which } from './util.ts';
import { buildImages } from './docker-images.ts';
import { dockerPaths, engineScripts, type DockerPaths } from './docker-scripts.ts';
import { writeStackFiles } from './docker-stack.ts';

export { dockerPaths };

/** Runs the docker CLI against the harness engine. */
export function dockerCli(p: DockerPaths, args: string[], timeoutMs = 60_000): Promise<string> {
  return run('docker', args, { timeoutMs, env: { ...process.env, DOCKER_HOST: `unix://${p.socket}` } });
}

async function engineVersion(p: DockerPaths): Promise<string> {
  return (await dockerCli(p, ['version', '--format', '{{.Server.Version}}'], 10_000)).trim();
}

async function ensureSwarm(p: DockerPaths, freePort: () => Promise<number>): Promise<void> {
  const state = (await dockerCli(p, ['info', '--format', '{{.Swarm.LocalNodeState}}'], 20_000)).trim();
  if (state === 'active') return;
  // Free ports on loopback, not the defaults (0.0.0.0:2377, 4789): a second harness (another
  // CRVS_SERVICES_DIR, another checkout) or the machine's own swarm may hold those.
  const listen = await freePort();
  // The data path port must lie in 1024–49151; the kernel's free ports often lie above.
  let dataPath = await freePort();
  for (let i = 0; i < 50 && dataPath > 49151; i++) dataPath = await freePort();
  if (dataPath > 49151) dataPath = 4789;
  await dockerCli(p, ['swarm', 'init', '--advertise-addr', '127.0.0.1', '--listen-addr', `127.0.0.1:${listen}`, '--data-path-port', String(dataPath)], 60_000);
}

/** Removes every swarm service (so no container is left), then stops the engine. */
async function stopEngine(p: DockerPaths): Promise<void> {
  if (!existsSync(p.pidFile)) return;
  const pid = Number(readFileSync(p.pidFile, 'utf8').trim());
  if (!alive(pid)) return;
  try {
    const ids = (await dockerCli(p, ['service', 'ls', '-q'], 20_000)).split('\n').filter(Boolean);
    if (ids.length > 0) await dockerCli(p, ['service', 'rm', ...ids], 60_000);
    await waitFor('containers to stop', async () => ((await dockerCli(p, ['ps', '-q'], 10_000)).trim() === '' ? true : undefined), 60_000);
    const left = (await dockerCli(p, ['ps', '-aq'], 10_000)).split('\n').filter(Boolean);
    if (left.length > 0) await dockerCli(p, ['rm', '-f', ...left], 60_000);
  } catch {
    /* an engine that does not answer is stopped by its pid below */
  }
  process.kill(pid, 'SIGTERM');
  await waitFor('dockerd to stop', async () => (alive(pid) ? undefined : true), 60_000).catch(() => process.kill(pid, 'SIGKILL'));
}

async function startDocker(ctx: ServiceContext): Promise<RunningService> {
  const p = dockerPaths(ctx.dataDir);
  mkdirSync(p.dataRoot, { recursive: true });
  mkdirSync(p.execRoot, { recursive: true });
  mkdirSync(p.controlDir, { recursive: true });
  engineScripts(p);
  // A previous engine of ours (after a crash of the harness) is stopped first, never reused blindly.
  await stopEngine(p);
  rmSync(p.socket, { force: true });
  spawnDaemon('sh', [p.startScript], { logFile: p.log });
  await waitFor('dockerd', async () => (await engineVersion(p)) || undefined, 60_000);
  const pid = Number(readFileSync(p.pidFile, 'utf8').trim());
  await ensureSwarm(p, ctx.freePort);
  await buildImages(p, ctx);
  const env = readEnvFile(join(ctx.servicesDir, 'env'));
  writeStackFiles(p, env);
  const version = await engineVersion(p);
  return {
    name: 'docker',
    version,
    url: `unix://${p.socket}`,
    pid,
    pids: [pid],
    pidFile: p.pidFile,
    real: true,
    env: {
      REDEPLOY_STACK: 'opencrvs',
      REDEPLOY_COMMAND: `sh ${p.deployScript} opencrvs`,
      DOCKER_RESTART_COMMAND: `sh ${p.restartScript}`,
      DOCKER_PID_FILE: p.pidFile,
      MIGRATION_SERVICE: 'opencrvs_migration',
    },
  };
}

/** The variables of the services started before this one (MongoDB, PostgreSQL), from .services/env. */

export const docker: ServiceSpec = {
  name: 'docker',
  async install() {
    for (const [tool, pkg] of [['dockerd', 'docker.io'], ['docker', 'docker.io'], ['containerd', 'containerd'], ['runc', 'runc'], ['busybox', 'busybox-static']] as const) {
      if (!(await which(tool))) throw new Error(`${tool} is not installed: apt-get install ${pkg} (scripts/install-system.sh does it)`);
    }
  },
  start: startDocker,
  async stop(_service, ctx) {
    await stopEngine(dockerPaths(ctx.dataDir));
  },
};
