/**
 * OpenSSH: Debian's sshd on a free loopback port, key-only login as the current user. It plays both
 * the manager node (remote commands; a `bin/` folder first on PATH lets tests put a fake `docker`
 * there) and the offsite backup server (SFTP into `<dataDir>/offsite`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { RunningService, ServiceContext, ServiceSpec } from './types.ts';
import { run, spawnDaemon, tcpOpen, waitFor, which } from './util.ts';
import { dockerPaths } from './docker-scripts.ts';

const SSHD = '/usr/sbin/sshd';

/** Paths of everything the service keeps under its data folder. */
export interface SshdPaths {
  config: string;
  hostKey: string;
  clientKey: string;
  authorizedKeys: string;
  knownHosts: string;
  offsiteDir: string;
  binDir: string;
  log: string;
  pidFile: string;
}

/** The fixed layout of the sshd data folder. */
export function sshdPaths(dataDir: string): SshdPaths {
  return {
    config: join(dataDir, 'sshd_config'),
    hostKey: join(dataDir, 'ssh_host_ed25519_key'),
    clientKey: join(dataDir, 'id_ed25519'),
    authorizedKeys: join(dataDir, 'authorized_keys'),
    knownHosts: join(dataDir, 'known_hosts'),
    offsiteDir: join(dataDir, 'offsite'),
    binDir: join(dataDir, 'bin'),
    log: join(dataDir, 'sshd.log'),
    pidFile: join(dataDir, 'sshd.pid'),
  };
}

async function ensureKey(file: string, comment: string): Promise<void> {
  if (existsSync(file) && existsSync(`${file}.pub`)) return;
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], { timeoutMs: 30_000 });
}

/** "SHA256:..." fingerprint of a public key file, as `ssh-keygen -lf` prints it. */
export async function fingerprint(pubFile: string): Promise<string> {
  const out = await run('ssh-keygen', ['-lf', pubFile], { timeoutMs: 30_000 });
  const fp = /SHA256:[A-Za-z0-9+/]+=*/.exec(out)?.[0];
  if (!fp) throw new Error(`sshd: cannot read the fingerprint of ${pubFile}`);
  return fp;
}

/** The port of an earlier config, so a restart keeps the address the tests already hold. */
function previousPort(configFile: string): number | undefined {
  if (!existsSync(configFile)) return undefined;
  const m = /^Port (\d+)$/m.exec(readFileSync(configFile, 'utf8'));
  return m ? Number(m[1]) : undefined;
}

function configText(p: SshdPaths, port: number, dockerHost: string): string {
  return [
    '# written by scripts/services/sshd.ts',
    'ListenAddress 127.0.0.1',
    `Port ${port}`,
    `HostKey ${p.hostKey}`,
    `PidFile ${p.pidFile}`,
    `AuthorizedKeysFile ${p.authorizedKeys}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    // The data folder lives in the project tree; its modes are not sshd's business here.
    'StrictModes no',
    'UsePAM no',
    'PrintMotd no',
    'LogLevel VERBOSE',
    'MaxStartups 50:30:100',
    'MaxSessions 50',
    // SHLVL=1 makes bash count itself as nested, so it skips the ~/.bashrc it would otherwise
    // source for ssh commands: the session PATH stays exactly this one, and no slow rc file runs.
    // DOCKER_HOST: the manager node's `docker` talks to the harness engine (scripts/services/docker.ts).
    `SetEnv PATH=${p.binDir}:/usr/local/bin:/usr/bin:/bin SHLVL=1 DOCKER_HOST=${dockerHost}`,
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
}

function sshVersion(): string {
  const r = spawnSync('ssh', ['-V'], { encoding: 'utf8', timeout: 10_000 });
  return /OpenSSH_[^\s,]+/.exec(`${r.stderr}${r.stdout}`)?.[0] ?? 'unknown';
}

/** One real login (`ssh … true`) with the pinned host key: proves keys and config work. */
async function handshake(p: SshdPaths, port: number, user: string): Promise<boolean> {
  await run(
    'ssh',
    [
      '-i', p.clientKey, '-p', String(port),
      '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${p.knownHosts}`,
      '-o', 'ConnectTimeout=5', '-o', 'LogLevel=ERROR',
      `${user}@127.0.0.1`, 'true',
    ],
    { timeoutMs: 10_000 },
  );
  return true;
}

async function startSshd(ctx: ServiceContext): Promise<RunningService> {
  const p = sshdPaths(ctx.dataDir);
  for (const dir of [p.offsiteDir, p.binDir]) mkdirSync(dir, { recursive: true });
  // sshd refuses to start without its privilege-separation folder.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  await ensureKey(p.hostKey, 'crvs-harness-host');
  await ensureKey(p.clientKey, 'crvs-harness-client');
  writeFileSync(p.authorizedKeys, readFileSync(`${p.clientKey}.pub`, 'utf8'), { mode: 0o600 });

  const old = previousPort(p.config);
  const port = old !== undefined && !(await tcpOpen(old)) ? old : await ctx.freePort();
  writeFileSync(p.config, configText(p, port, `unix://${dockerPaths(join(ctx.servicesDir, 'docker')).socket}`), { mode: 0o600 });
  const hostPub = readFileSync(`${p.hostKey}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  writeFileSync(p.knownHosts, `[127.0.0.1]:${port} ${hostPub}\n`);
  await run(SSHD, ['-t', '-f', p.config], { timeoutMs: 10_000 });

  const pid = spawnDaemon(SSHD, ['-D', '-e', '-f', p.config], { logFile: p.log });
  const user = userInfo().username;
  await waitFor('sshd port', async () => ((await tcpOpen(port)) ? true : undefined), 20_000, pid);
  await waitFor('sshd handshake', () => handshake(p, port, user), 20_000, pid);

  const hostKey = await fingerprint(`${p.hostKey}.pub`);
  const target = { HOST: '127.0.0.1', PORT: String(port), USER: user, KEY_FILE: p.clientKey, HOST_KEY: hostKey };
  const env: Record<string, string> = { BACKUP_SERVER_DIR: p.offsiteDir };
  for (const [k, v] of Object.entries(target)) {
    env[`BACKUP_SERVER_${k}`] = v;
    env[`MANAGER_${k}`] = v;
  }
  return { name: 'sshd', version: sshVersion(), url: `ssh://${user}@127.0.0.1:${port}`, pid, pids: [pid], real: true, env };
}

export const sshd: ServiceSpec = {
  name: 'sshd',
  async install() {
    if (!existsSync(SSHD)) throw new Error('sshd is not installed: apt-get install openssh-server (.ci/run does it)');
    for (const tool of ['ssh', 'ssh-keygen', 'sha256sum']) {
      if (!(await which(tool))) throw new Error(`${tool} is not installed: apt-get install openssh-client coreutils`);
    }
  },
  start: startSshd,
};
