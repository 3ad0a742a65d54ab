/**
 * A PRIVATE PostgreSQL 17 cluster per test file (the harness's binaries; initdb on a port from the
 * OS; wal_level=replica), so that tests can stop, kill and restore it without touching the shared
 * server. As root it runs as `nobody` from a copy of the binaries that account can reach, like the
 * harness's own server. Removed in afterAll even after a failure.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, appendFileSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { servicesEnv } from '../helpers/env.ts';

const execFileP = promisify(execFile);

export interface PrivateCluster {
  port: number;
  password: string;
  /** The cluster's folder (data/, log). */
  dir: string;
  data: string;
  /** Client tools (pg_basebackup, pg_receivewal, …) as the bot runs them. */
  toolsBin: string;
  startCommand: string;
  stopCommand: string;
  /** Variables for testConfig: this cluster as the deployment's PostgreSQL with PITR on. */
  env(extra?: Record<string, string>): Record<string, string>;
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(db: string, sql: string, params?: unknown[]): Promise<T[]>;
  start(): Promise<void>;
  /** SIGKILL of the postmaster (a crash). */
  kill(): void;
  remove(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function account(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number((await execFileP('id', ['-u', 'nobody'])).stdout.trim());
  const gid = Number((await execFileP('id', ['-g', 'nobody'])).stdout.trim());
  return { uid, gid };
}

/** The server binaries, copied once where `nobody` can run them (the cache under /root is closed). */
function serverBin(toolsBin: string, asRoot: boolean): string {
  if (!asRoot) return toolsBin;
  const dist = dirname(toolsBin);
  const copy = join('/var/tmp', `crvs-pitr-dist-${createHash('sha256').update(dist).digest('hex').slice(0, 12)}`);
  if (!existsSync(join(copy, 'bin', 'postgres'))) {
    const tmp = `${copy}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    cpSync(dist, tmp, { recursive: true });
    chmodSync(tmp, 0o755);
    try {
      renameSync(tmp, copy);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another file copied it first
    }
  }
  return join(copy, 'bin');
}

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export async function startPrivateCluster(prefix: string): Promise<PrivateCluster> {
  const toolsBin = servicesEnv()['PG_BIN_DIR'];
  if (!toolsBin) throw new Error('PG_BIN_DIR missing from the harness: is the postgres service up?');
  const who = await account();
  const bin = serverBin(toolsBin, who !== undefined);
  const dir = mkdtempSync(join('/var/tmp', `crvs-pitr-${prefix}-`));
  try {
    return await initAndStart(prefix, toolsBin, who, bin, dir);
  } catch (err) {
    // A cluster that never started is removed here: afterAll has nothing to remove it with.
    await execFileP('sh', ['-c', `${who ? `setpriv --reuid=${who.uid} --regid=${who.gid} --clear-groups ` : ''}${shq(join(bin, 'pg_ctl'))} -D ${shq(join(dir, 'data'))} -m immediate stop`]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

async function initAndStart(prefix: string, toolsBin: string, who: { uid: number; gid: number } | undefined, bin: string, dir: string): Promise<PrivateCluster> {
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  mkdirSync(data, { mode: 0o700 });
  const sock = join(dir, 'sock');
  mkdirSync(sock, { mode: 0o755 });
  const password = randomBytes(12).toString('base64url');
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (who) {
    chownSync(data, who.uid, who.gid);
    chownSync(sock, who.uid, who.gid);
    chownSync(pwfile, who.uid, who.gid);
  }
  const as = (argv: string[]): string => (who ? `setpriv --reuid=${who.uid} --regid=${who.gid} --clear-groups ` : '') + argv.map(shq).join(' ');
  await execFileP('sh', ['-c', as([join(bin, 'initdb'), '-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C', '--no-sync'])], { timeout: 120_000 });
  rmSync(pwfile, { force: true });
  const port = await freePort();
  appendFileSync(
    join(data, 'postgresql.conf'),
    [`port = ${port}`, "listen_addresses = '127.0.0.1'", `unix_socket_directories = '${sock}'`, 'wal_level = replica', 'max_wal_senders = 10', 'max_replication_slots = 10', 'fsync = off', 'shared_buffers = 16MB', ''].join('\n'),
  );
  const log = join(dir, 'server.log');
  writeFileSync(log, '');
  if (who) chownSync(log, who.uid, who.gid);
  const startCommand = as([join(bin, 'pg_ctl'), '-D', data, '-l', log, '-w', '-t', '120', 'start']);
  const stopCommand = as([join(bin, 'pg_ctl'), '-D', data, '-m', 'fast', '-w', '-t', '120', 'stop']);
  const start = async (): Promise<void> => {
    await execFileP('sh', ['-c', startCommand], { timeout: 150_000 });
  };
  await start();

  async function query<T extends pg.QueryResultRow>(db: string, sql: string, params: unknown[] = []): Promise<T[]> {
    const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: db, connectionTimeoutMillis: 10_000 });
    c.on('error', () => undefined);
    await c.connect();
    try {
      return (await c.query<T>(sql, params)).rows;
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  function kill(): void {
    try {
      const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (pid > 0) process.kill(pid, 'SIGKILL');
    } catch {
      /* not running */
    }
  }

  return {
    port,
    password,
    dir,
    data,
    toolsBin,
    startCommand,
    stopCommand,
    env(extra = {}) {
      return {
        OPENCRVS_VERSION: 'v1.9',
        POSTGRES_URL: `postgres://postgres@127.0.0.1:${port}/postgres`,
        POSTGRES_PASSWORD: password,
        PG_BIN_DIR: toolsBin,
        POSTGRES_EXEC: 'local',
        POSTGRES_DATABASES: 'pitrdb',
        BACKUP_STORES: 'postgres',
        PITR_ENABLED: 'true',
        PITR_SLOT: `pitr_${prefix.replace(/[^a-z0-9]/g, '')}`,
        PITR_DATA_DIR: data,
        PITR_STOP_COMMAND: stopCommand,
        PITR_START_COMMAND: startCommand,
        PITR_CHECK_SECONDS: '3600',
        PITR_RESTART_MAX_SECONDS: '2',
        PITR_REPLAY_TIMEOUT_MINUTES: '5',
        ...extra,
      };
    },
    query,
    start,
    kill,
    async remove() {
      await execFileP('sh', ['-c', as([join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop'])], { timeout: 60_000 }).catch(() => undefined);
      kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
