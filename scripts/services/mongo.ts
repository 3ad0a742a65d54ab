/**
 * MongoDB: a real `mongod` when one is on PATH, otherwise FerretDB v1 (a MongoDB wire-protocol server)
 * on its SQLite backend, built from the Go module proxy into the cache.
 *
 * `go install …/cmd/ferretdb@v1.24.2` builds a binary that panics at start (its embedded
 * build/version/version.txt is missing from the module), so install() copies the module source,
 * writes that file and builds from the copy.
 */
import { cpSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { z } from 'zod';
import type { RunningService, ServiceContext, ServiceSpec } from './types.ts';
import { run, spawnDaemon, waitFor, which } from './util.ts';

const FERRETDB_VERSION = 'v1.24.2';
const FERRETDB_MODULE = `github.com/FerretDB/FerretDB@${FERRETDB_VERSION}`;
const START_TIMEOUT_MS = 60_000;

function ferretBinary(cacheDir: string): string {
  return join(cacheDir, 'bin', `ferretdb-${FERRETDB_VERSION}`);
}

const moduleInfo = z.object({ Dir: z.string().min(1) });
const buildInfo = z.object({ version: z.string(), ferretdbVersion: z.string().optional() });

async function buildFerretDb(ctx: ServiceContext): Promise<void> {
  const bin = ferretBinary(ctx.cacheDir);
  if (existsSync(bin)) return;
  if (!(await which('go'))) throw new Error('neither mongod nor go is installed: install golang (or mongod) first');
  const started = Date.now();
  ctx.log(`building FerretDB ${FERRETDB_VERSION} (first time only, a few minutes)`);
  const info = moduleInfo.parse(JSON.parse(await run('go', ['mod', 'download', '-json', FERRETDB_MODULE])));
  const src = join(ctx.cacheDir, 'src', `ferretdb-${FERRETDB_VERSION}`);
  rmSync(src, { recursive: true, force: true });
  mkdirSync(join(ctx.cacheDir, 'src'), { recursive: true });
  cpSync(info.Dir, src, { recursive: true });
  // The module cache is read-only: the copy must be writable to add version.txt (and to be replaced later).
  await run('chmod', ['-R', 'u+w', src]);
  writeFileSync(join(src, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
  mkdirSync(join(ctx.cacheDir, 'bin'), { recursive: true });
  // The PostgreSQL backend is not used here; leaving it out shortens the build.
  const tmp = `${bin}.tmp`;
  await run('go', ['build', '-tags', 'ferretdb_no_postgresql', '-o', tmp, './cmd/ferretdb'], {
    cwd: src,
    env: { ...process.env, GOFLAGS: '-buildvcs=false', CGO_ENABLED: '0' },
  });
  // Rename last so an interrupted build never leaves a binary that looks complete.
  renameSync(tmp, bin);
  ctx.log(`built FerretDB in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

async function describe(url: string): Promise<string> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 1500, connectTimeoutMS: 1500 });
  try {
    const info = buildInfo.parse(await client.db('admin').command({ buildInfo: 1 }));
    if (info.ferretdbVersion) {
      return `FerretDB ${info.ferretdbVersion.replace(/^v/, '')} (MongoDB wire ${info.version} compat)`;
    }
    return `MongoDB ${info.version}`;
  } finally {
    await client.close();
  }
}

async function startMongod(ctx: ServiceContext, bin: string): Promise<RunningService> {
  const port = await ctx.freePort();
  const dbPath = join(ctx.dataDir, 'db');
  mkdirSync(dbPath, { recursive: true });
  const pid = spawnDaemon(bin, ['--dbpath', dbPath, '--port', String(port), '--bind_ip', '127.0.0.1', '--quiet'], {
    logFile: join(ctx.dataDir, 'mongod.log'),
  });
  return answer(ctx, port, pid);
}

async function startFerretDb(ctx: ServiceContext): Promise<RunningService> {
  const port = await ctx.freePort();
  const sqliteDir = join(ctx.dataDir, 'sqlite');
  mkdirSync(sqliteDir, { recursive: true });
  const args = [
    '--handler=sqlite',
    `--sqlite-url=file:${sqliteDir}/`,
    `--listen-addr=127.0.0.1:${port}`,
    `--state-dir=${ctx.dataDir}`,
    // No debug HTTP listener (its default port 8088 is InfluxDB's RPC port) and no telemetry.
    '--debug-addr=-',
    '--telemetry=disable',
    '--log-level=error',
  ];
  const env = { ...process.env, DO_NOT_TRACK: '1', FERRETDB_TELEMETRY: 'disable' };
  const pid = spawnDaemon(ferretBinary(ctx.cacheDir), args, { logFile: join(ctx.dataDir, 'ferretdb.log'), env });
  return answer(ctx, port, pid);
}

async function answer(ctx: ServiceContext, port: number, pid: number): Promise<RunningService> {
  const url = `mongodb://127.0.0.1:${port}`;
  const version = await waitFor('mongo', () => describe(url), START_TIMEOUT_MS, pid);
  ctx.log(version);
  return { name: 'mongo', version, url, pid, pids: [pid], real: true, env: { MONGO_URL: url } };
}

export const mongo: ServiceSpec = {
  name: 'mongo',
  overrideVar: 'CRVS_TEST_MONGO_URL',
  async install(ctx) {
    if (await which('mongod')) return;
    await buildFerretDb(ctx);
  },
  async start(ctx) {
    const mongod = await which('mongod');
    return mongod ? startMongod(ctx, mongod) : startFerretDb(ctx);
  },
  async external(url) {
    const version = await waitFor('mongo (external)', () => describe(url), 15_000);
    return { name: 'mongo', version, url, pid: 0, pids: [], real: true, env: { MONGO_URL: url } };
  },
};
