/**
 * Runs a command over SSH (ssh2 client) with a pinned host key. The remote side gets a fixed,
 * secret-free command line; secrets travel on the channel's stdin and are exported by a small
 * wrapper, because sshd usually refuses env requests (AcceptEnv) and argv is visible in `ps`.
 */
import { readFile } from 'node:fs/promises';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { Client, type ClientChannel } from 'ssh2';
import { ExecError, InputError } from '../errors.ts';
import { HostKeyError } from './errors.ts';
import { fingerprint, matchesPin } from './host-key.ts';
import { quoteArgv } from './quote.ts';
import type { Started } from './supervise.ts';
import type { ExecTarget } from './types.ts';

type SshTarget = Extract<ExecTarget, { kind: 'ssh' }>;

/**
 * Announces its pid on stderr (so a kill can reach it: sshd ignores signal requests once our side
 * of the channel is closed), reads NAME=value lines from stdin up to an empty line, exports them,
 * then becomes the command. `read` consumes stdin byte by byte, so what follows the empty line
 * reaches the command intact.
 */
const WRAPPER =
  'printf "crvs-exec-pid:%s\\n" "$$" >&2; while IFS= read -r l && [ -n "$l" ]; do export "$l" || exit 125; done; exec "$@"';
const PID_LINE = /^crvs-exec-pid:(\d+)\n/;

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

/**
 * Passes stderr through, minus the wrapper's first line, whose pid it hands to `onPid`.
 * Nothing is held back after that line (or after 256 bytes without it).
 */
function stripPidLine(onPid: (pid: number) => void): Transform {
  let head: Buffer | undefined = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (!head) return done(null, chunk);
      head = Buffer.concat([head, chunk]);
      const nl = head.indexOf(0x0a);
      if (nl < 0 && head.length < 256) return done();
      const m = PID_LINE.exec(head.toString('latin1'));
      const rest = m ? head.subarray(m[0].length) : head;
      if (m) onPid(Number(m[1]));
      head = undefined;
      done(null, rest);
    },
    flush(done) {
      done(null, head && head.length > 0 ? head : undefined);
    },
  });
}

/** Runs `kill` on the remote host for the command's process group (or the pid alone). */
function remoteKill(conn: Client, pid: number, signal: 'TERM' | 'KILL'): Promise<void> {
  const cmd = `kill -${signal} -- -${pid} 2>/dev/null || kill -${signal} ${pid} 2>/dev/null; true`;
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 3000);
    try {
      conn.exec(cmd, (err, ch) => {
        if (err) {
          clearTimeout(timer);
          return resolve();
        }
        ch.on('data', () => undefined);
        ch.stderr.on('data', () => undefined);
        ch.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

/** Grace between TERM and KILL when a remote command is stopped. */
const KILL_GRACE_MS = 2000;

/**
 * Starts argv on an open connection, `preamble` (from envPreamble) first on its stdin; `conn` is
 * closed when the command ends or is killed.
 */
export function startSsh(conn: Client, argv: string[], preamble: string, stdin: Readable | undefined, display: string): Started {
  const stdout = new PassThrough();
  let remotePid: number | undefined;
  const stderr = stripPidLine((pid) => {
    remotePid = pid;
  });
  let channel: ClientChannel | undefined;
  let killed = false;
  let exitedAlready = false;
  const exited = new Promise<number | null>((resolve, reject) => {
    conn.exec(remoteCommand(argv), (err, ch) => {
      if (err) {
        stdout.end();
        stderr.end();
        conn.end();
        return reject(new ExecError(display, null, `the server refused the command: ${err.message}`));
      }
      channel = ch;
      let code: number | null = null;
      ch.on('exit', (c: number | null) => {
        exitedAlready = true;
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
      const pid = remotePid;
      void (async () => {
        if (pid !== undefined && !exitedAlready) {
          await remoteKill(conn, pid, 'TERM');
          await new Promise((r) => setTimeout(r, KILL_GRACE_MS));
          if (!exitedAlready) await remoteKill(conn, pid, 'KILL');
        }
        channel?.close();
        conn.end();
      })();
    },
  };
}
