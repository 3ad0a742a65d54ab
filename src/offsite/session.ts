/**
 * One SSH connection to the backup server with its SFTP channel. The host key is pinned: the
 * server's key must have the SHA256 fingerprint given in the configuration, or nothing is sent.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Client, type SFTPWrapper } from 'ssh2';
import type { SshTarget } from '../config.ts';
import { OffsiteError } from './errors.ts';

/** Result of one remote command. */
export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** An open connection: SFTP for files, `exec` for the few commands run on the server. */
export interface RemoteSession {
  sftp: SFTPWrapper;
  /**
   * Rejects `p` as soon as the connection is lost: an SFTP request issued on a dead channel is
   * never answered, so every remote wait goes through this.
   */
  guard<T>(p: Promise<T>): Promise<T>;
  /** Runs a command line (quote every word with shq); bounded in time and output. */
  exec(command: string, timeoutMs?: number): Promise<ExecResult>;
  /**
   * Up to `n` upload lanes, this connection's SFTP channel first; the others are further
   * connections to the same server (host key pinned the same way), opened once and closed with
   * this one. Fewer come back when the server refuses more. Separate connections, not channels
   * on this one: the server serves each connection with one process, so only these spread its
   * decryption and writes over several cores (bench/README.md).
   */
  lanes(n: number): Promise<Lane[]>;
  /** Like exec but throws OffsiteError unless the exit code is 0. */
  run(command: string, what: string, timeoutMs?: number): Promise<string>;
  close(): void;
}

/** An SFTP channel with the guard of the connection that carries it. */
export interface Lane {
  sftp: SFTPWrapper;
  guard<T>(p: Promise<T>): Promise<T>;
}

/** "SHA256:<base64 without padding>" of a raw host key, as `ssh-keygen -lf` prints it. */
export function hostKeyFingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

function normalize(fp: string): string {
  return fp.trim().replace(/=+$/, '');
}

const MAX_OUTPUT = 32 * 1024 * 1024;

/** Connects and opens SFTP; `label` names the target in messages (e.g. "backup server"). */
export async function openSession(
  target: SshTarget,
  opts: { timeoutMs: number; label?: string; variable?: string },
): Promise<RemoteSession> {
  const label = opts.label ?? 'backup server';
  const variable = opts.variable ?? 'BACKUP_SERVER_HOST_KEY';
  const where = `${label} ${target.host}:${target.port}`;
  if (!target.hostKey) {
    throw new OffsiteError('offsite_host_key', `${variable} is not set: refusing to connect to ${where} without a pinned host key (ssh-keygen -lf <host key>.pub prints it)`);
  }
  const privateKey = await readFile(target.keyFile).catch(() => {
    throw new OffsiteError('offsite_not_configured', `the SSH key file for the ${label} cannot be read: ${target.keyFile}`);
  });
  const expected = normalize(target.hostKey);
  let seen: string | undefined;
  const client = new Client();
  await new Promise<void>((resolve, reject) => {
    const fail = (err: Error): void => {
      client.end();
      if (seen !== undefined && seen !== expected) {
        reject(new OffsiteError('offsite_host_key', `host key of ${where} is ${seen}, not the pinned ${expected} (${variable}): refusing to connect; nothing was sent`));
        return;
      }
      reject(new OffsiteError('offsite_connect', `cannot connect to ${where}: ${err.message}`, { cause: err }));
    };
    client.once('ready', () => {
      client.off('error', fail);
      // Many small SFTP requests and answers: Nagle's delay would stall the pipeline.
      client.setNoDelay(true);
      resolve();
    });
    client.once('error', fail);
    client.connect({
      host: target.host,
      port: target.port,
      username: target.username,
      privateKey,
      readyTimeout: opts.timeoutMs,
      keepaliveInterval: 5000,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        seen = hostKeyFingerprint(key);
        return seen === expected;
      },
    });
  });
  // A later transport error must not crash the process; `lost` fails whatever is waiting.
  let lostReason = 'the connection was closed';
  client.on('error', (err) => {
    lostReason = err.message;
  });
  const lost = new Promise<never>((_, reject) => {
    client.once('close', () => reject(new OffsiteError('offsite_connect', `connection to ${where} lost: ${lostReason}`)));
  });
  lost.catch(() => undefined);
  const newSftp = (): Promise<SFTPWrapper> =>
    new Promise<SFTPWrapper>((resolve, reject) => {
      client.sftp((err, s) => (err ? reject(new OffsiteError('offsite_connect', `SFTP refused by ${where}: ${err.message}`)) : resolve(s)));
    });
  const sftp = await newSftp().catch((err: unknown) => {
    client.end();
    throw err;
  });
  const exec = (command: string, timeoutMs = 10 * 60_000): Promise<ExecResult> =>
    new Promise((resolve, reject) => {
      client.exec(command, (err, stream) => {
        if (err) {
          reject(new OffsiteError('offsite_remote_command', `cannot run a command on ${where}: ${err.message}`));
          return;
        }
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let size = 0;
        let code: number | null = null;
        const timer = setTimeout(() => {
          stream.close();
          reject(new OffsiteError('offsite_remote_command', `a command on ${where} did not finish within ${Math.round(timeoutMs / 1000)} s`));
        }, timeoutMs);
        const take = (list: Buffer[]) => (b: Buffer): void => {
          size += b.length;
          if (size <= MAX_OUTPUT) list.push(b);
        };
        stream.on('data', take(out));
        stream.stderr.on('data', take(errOut));
        stream.on('exit', (c: number | null) => {
          code = c;
        });
        stream.on('close', () => {
          clearTimeout(timer);
          resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(errOut).toString('utf8') });
        });
      });
    });
  const guard = <T>(p: Promise<T>): Promise<T> => Promise.race([p, lost]);
  const pool: Lane[] = [{ sftp, guard }];
  const extra: RemoteSession[] = [];
  return {
    sftp,
    guard,
    exec: (command, timeoutMs) => guard(exec(command, timeoutMs)),
    async lanes(n) {
      while (pool.length < n) {
        // A refusal leaves fewer lanes; only this connection's loss is an error.
        const opening = openSession(target, opts).catch(() => undefined);
        const more = await guard(opening).catch((err: unknown) => {
          void opening.then((late) => late?.close());
          throw err;
        });
        if (!more) break;
        extra.push(more);
        pool.push({ sftp: more.sftp, guard: more.guard });
      }
      return pool.slice(0, Math.max(1, n));
    },
    async run(command, what, timeoutMs) {
      const r = await guard(exec(command, timeoutMs));
      if (r.code !== 0) throw new OffsiteError('offsite_remote_command', `${what} failed on ${where} (exit ${r.code ?? 'signal'}): ${r.stderr.trim().slice(-300)}`);
      return r.stdout;
    },
    close() {
      for (const e of extra) e.close();
      client.end();
    },
  };
}
