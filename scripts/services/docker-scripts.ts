/**
 * The harness engine's layout and its shell scripts: start, restart (what DOCKER_RESTART_COMMAND
 * runs in the tests: stop dockerd by its pid, start it again; the swarm survives) and deploy of
 * the test stack (what REDEPLOY_COMMAND runs). The scripts run on the manager node (the harness
 * sshd) as well as here, so each one sets its own PATH and DOCKER_HOST.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..');
/** The OpenCRVS-shaped test stack (a fixture of the tests). */
export const STACK_FIXTURE = join(PROJECT_ROOT, 'test', 'fixtures', 'swarm', 'opencrvs-stack.yml');
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Everything the engine keeps under .services/docker/. */
export interface DockerPaths {
  dataRoot: string;
  execRoot: string;
  socket: string;
  pidFile: string;
  log: string;
  buildDir: string;
  /** Read by the migration service: one JSON file per stack (see test/fixtures/swarm/migrate.mjs). */
  controlDir: string;
  startScript: string;
  restartScript: string;
  deployScript: string;
}

export function dockerPaths(dataDir: string): DockerPaths {
  return {
    dataRoot: join(dataDir, 'data'),
    // containerd's socket lives below the exec root: short, or unix sockets' 108-byte limit bites.
    execRoot: join(dataDir, 'run'),
    socket: join(dataDir, 'docker.sock'),
    pidFile: join(dataDir, 'dockerd.pid'),
    log: join(dataDir, 'dockerd.log'),
    buildDir: join(dataDir, 'build'),
    controlDir: join(dataDir, 'control'),
    startScript: join(dataDir, 'start-engine.sh'),
    restartScript: join(dataDir, 'restart-engine.sh'),
    deployScript: join(dataDir, 'deploy-stack.sh'),
  };
}

function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Writes the three scripts (idempotent). */
export function engineScripts(p: DockerPaths): void {
  const start = [
    '#!/bin/sh',
    '# written by scripts/services/docker-scripts.ts: the harness engine, never the system one',
    `PATH=${PATH}; export PATH`,
    // No bridge, no iptables: the test stack uses the host network, and the host firewall is not ours.
    `exec dockerd --data-root ${q(p.dataRoot)} --exec-root ${q(p.execRoot)} -H ${q(`unix://${p.socket}`)} --pidfile ${q(p.pidFile)} \\`,
    '  --bridge none --iptables=false --ip-masq=false --userland-proxy=false --shutdown-timeout 3',
    '',
  ].join('\n');
  const restart = [
    '#!/bin/sh',
    '# written by scripts/services/docker-scripts.ts: restarts the harness engine (bounded waits)',
    'set -eu',
    // A bot running in this engine is killed by the restart, and its SSH session with it: the
    // restart must go on (as `systemctl restart docker` does) rather than die halfway on SIGHUP.
    "trap '' HUP PIPE",
    `PATH=${PATH}; export PATH`,
    `DOCKER_HOST=${q(`unix://${p.socket}`)}; export DOCKER_HOST`,
    `pid=$(cat ${q(p.pidFile)} 2>/dev/null || true)`,
    'if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then',
    '  kill "$pid"',
    '  i=0; while kill -0 "$pid" 2>/dev/null; do i=$((i+1)); [ "$i" -gt 600 ] && { echo "dockerd $pid did not stop within 60 s" >&2; exit 1; }; sleep 0.1; done',
    'fi',
    `setsid sh ${q(p.startScript)} >> ${q(p.log)} 2>&1 < /dev/null &`,
    'i=0; until docker version >/dev/null 2>&1; do i=$((i+1)); [ "$i" -gt 600 ] && { echo "dockerd did not answer within 60 s" >&2; exit 1; }; sleep 0.1; done',
    '',
  ].join('\n');
  const deploy = [
    '#!/bin/sh',
    '# written by scripts/services/docker-scripts.ts: deploys the OpenCRVS-shaped test stack',
    'set -eu',
    `PATH=${PATH}; export PATH`,
    `DOCKER_HOST=${q(`unix://${p.socket}`)}; export DOCKER_HOST`,
    'stack=${1:?usage: deploy-stack.sh <stack>}',
    `CRVS_PROJECT=${q(PROJECT_ROOT)} CRVS_CONTROL_DIR=${q(p.controlDir)}; export CRVS_PROJECT CRVS_CONTROL_DIR`,
    // No registry is reachable: the images are local, never resolved.
    `exec docker stack deploy --resolve-image never -c ${q(STACK_FIXTURE)} "$stack"`,
    '',
  ].join('\n');
  for (const [file, text] of [[p.startScript, start], [p.restartScript, restart], [p.deployScript, deploy]] as const) {
    writeFileSync(file, text);
    chmodSync(file, 0o755);
  }
}
