/** Runs a command as a local child process (also the transport of the docker target). */
import { spawn } from 'node:child_process';
import { ExecError } from '../errors.ts';
import type { Started } from './supervise.ts';

/**
 * Variables a child inherits from the bot. Deliberately short: the bot's own secrets (Slack
 * tokens, passwords) must not leak into every command it runs.
 */
const INHERITED = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'DOCKER_HOST', 'DOCKER_CONFIG', 'DOCKER_CONTEXT', 'DOCKER_CERT_PATH', 'DOCKER_TLS_VERIFY'];

/** The environment of a child: a few inherited variables plus the command's own. */
export function childEnv(extra: Record<string, string> | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED) {
    const v = process.env[name];
    if (v !== undefined) env[name] = v;
  }
  return { ...env, ...extra };
}

/** Grace between SIGTERM and SIGKILL when a command is stopped. */
const KILL_GRACE_MS = 2000;

/** Starts `command args` in its own process group, so that a kill reaches its children too. */
export function startLocal(command: string, args: string[], env: Record<string, string>, display: string, stdin?: NodeJS.ReadableStream): Started {
  const child = spawn(command, args, {
    env,
    stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (stdin && child.stdin) {
    child.stdin.on('error', () => undefined); // the command may exit without reading all of stdin
    stdin.pipe(child.stdin);
  }
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', (e) => reject(new ExecError(display, null, `could not start: ${e.message}`)));
    child.once('exit', (code) => resolve(code));
  });
  let killed = false;
  const signalGroup = (sig: NodeJS.Signals): void => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      child.kill(sig);
    }
  };
  if (!child.stdout || !child.stderr) throw new ExecError(display, null, 'could not open its output pipes');
  return {
    pid: child.pid,
    stdout: child.stdout,
    stderr: child.stderr,
    exited,
    kill() {
      if (killed) return;
      killed = true;
      signalGroup('SIGTERM');
      setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS).unref();
    },
  };
}
