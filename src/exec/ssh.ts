/**
 * Runs a command over SSH (ssh2 client) with a pinned host key. The remote side gets a fixed,
 * secret-free command line; secrets travel on the channel's stdin and are exported by a small
 * wrapper, because sshd usually refuses env requests (AcceptEnv) and argv is visible in `ps`.
 */
import { readFile } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import { Client, type ClientChannel } from 'ssh2';
import { ExecError, InputError } from '../errors.ts';
import { HostKeyError } from './errors.ts';
import { fingerprint, matchesPin } from './host-key.ts';
import { quoteArgv } from './quote.ts';
import type { Started } from './supervise.ts';
import type { ExecTarget } from './types.ts';

type SshTarget = Extract<ExecTarget, { kind: 'ssh' }>;

/**
 * Reads NAME=value lines from stdin up to an empty line, exports them, then becomes the command.
 * `read` consumes stdin byte by byte, so what follows the empty line reaches the command intact.
 */
const WRAPPER = 'while IFS= read -r l && [ -n "$l" ]; do export "$l" || exit 125; done; exec "$@"';

/** The remote command line for argv (no secrets in it). */
export function remoteCommand(argv: string[]): string {
  return quoteArgv(['sh', '-c', WRAPPER, 'sh', ...argv]);
}

/** The stdin preamble carrying the variables; values must be single-line. */
export function envPreamble(env: Record<string, string> | undefined): string {
  let text = '';
  for (const [name, value] of Object.entries(env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new InputError(`invalid variable name for a remote command: ${name}`);
    if (/[\n\r\0]/.test(value)) throw new InputError(`variable ${name} cannot be passed to a remote command: its value spans lines`);
    text += `${name}=${value}\n`;
  }
  return `${text}\n`;
}

/** Connects (bounded by timeoutMs) with the pinned host key; never accepts an unknown key. */
export async function connectSsh(target: SshTarget, timeoutMs: number): Promise<Client> {
  const where = `${target.host}:${target.port}`;
  let privateKey: Buffer;
  try {
    privateKey = await readFile(target.keyFile);
  } catch (e) {
    throw new ExecError(`ssh ${target.username}@${where}`, null, `cannot read the key file ${target.keyFile}: ${(e as Error).message}`);
  }
  const conn = new Client();
  let refused: HostKeyError | undefined;
  return new Promise<Client>((resolve, reject) => {
    const timer = setTimeout(() => {
      conn.end();
      reject(new ExecError(`ssh ${target.username}@${where}`, null, `no SSH session within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    conn.once('ready', () => {
      clearTimeout(timer);
      resolve(conn);
    });
    conn.once('error', (e) => {
      clearTimeout(timer);
      conn.end();
      reject(refused ?? new ExecError(`ssh ${target.username}@${where}`, null, `connection failed: ${e.message}`));
    });
    conn.connect({
      host: target.host,
      port: target.port,
      username: target.username,
      privateKey,
      readyTimeout: timeoutMs,
      hostVerifier: (key: Buffer): boolean => {
        const offered = fingerprint(key);
        if (matchesPin(offered, target.hostKey)) return true;
        refused = new HostKeyError(where, offered, target.hostKey);
        return false;
      },
    });
  });
}

/** Starts argv on an open connection; `conn` is closed when the command ends or is killed. */
export function startSsh(conn: Client, argv: string[], env: Record<string, string> | undefined, stdin: Readable | undefined, display: string): Started {
  const preamble = envPreamble(env);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let channel: ClientChannel | undefined;
  let killed = false;
  const exited = new Promise<number | null>((resolve, reject) => {
    conn.exec(remoteCommand(argv), (err, ch) => {
      if (err) {
        stdout.end();
        stderr.end();
        conn.end();
        return reject(new ExecError(display, null, `the server refused the command: ${err.message}`));
      }
      channel = ch;
      if (killed) ch.close();
      let code: number | null = null;
      ch.on('exit', (c: number | null) => {
        code = typeof c === 'number' ? c : null;
      });
      ch.once('close', () => {
        conn.end();
        resolve(code);
      });
      ch.pipe(stdout);
      ch.stderr.pipe(stderr);
      ch.on('error', () => undefined);
      ch.write(preamble);
      if (stdin) stdin.pipe(ch);
      else ch.end();
    });
    conn.once('close', () => resolve(null));
  });
  return {
    stdout,
    stderr,
    exited,
    kill() {
      if (killed) return;
      killed = true;
      // OpenSSH honours signal requests for sessions without a pty since 7.9; closing is the fallback.
      try {
        channel?.signal('KILL');
      } catch {
        /* channel already gone */
      }
      channel?.close();
      setTimeout(() => conn.end(), 500).unref();
    },
  };
}
