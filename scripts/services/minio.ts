/**
 * MinIO: the real server, built from the Go module github.com/minio/minio with `go install`
 * (MinIO publishes no Debian package). The build is pinned and cached as <cache>/bin/minio-<version>.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningService, ServiceContext, ServiceSpec } from './types.ts';
import { run, spawnDaemon, waitFor, which } from './util.ts';

/**
 * The module version `go list -m github.com/minio/minio@latest` answered when this was written.
 * MinIO's module has no semver tags, so this is a pseudo-version (a commit of 2026-02-12).
 */
export const MINIO_MODULE_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c';
const MODULE = 'github.com/minio/minio';
/** A cold build (downloads + compile) took ~100 s on 2 cores; leave plenty of room. */
const BUILD_TIMEOUT_MS = 40 * 60_000;
const START_TIMEOUT_MS = 60_000;

function binaryPath(cacheDir: string): string {
  return join(cacheDir, 'bin', `minio-${MINIO_MODULE_VERSION}`);
}

/** True when `file` is a Go binary built from the pinned MinIO module version. */
async function isPinnedBuild(file: string): Promise<boolean> {
  if (!existsSync(file)) return false;
  try {
    const info = await run('go', ['version', '-m', file], { timeoutMs: 30_000 });
    return info.split('\n').some((l) => /^\s*mod\s/.test(l) && l.includes(MODULE) && l.includes(MINIO_MODULE_VERSION));
  } catch {
    return false;
  }
}

async function install(ctx: ServiceContext): Promise<void> {
  const target = binaryPath(ctx.cacheDir);
  if (existsSync(target)) return;
  if (!(await which('go'))) throw new Error('minio: the go command is needed to build MinIO (apt-get install golang, or Go from go.dev)');
  const binDir = join(ctx.cacheDir, 'bin');
  mkdirSync(binDir, { recursive: true });
  // A plain `go install …@<same version>` may already have left an unversioned binary here: reuse it.
  const plain = join(binDir, 'minio');
  if (await isPinnedBuild(plain)) {
    copyFileSync(plain, `${target}.tmp`);
    renameSync(`${target}.tmp`, target);
    return;
  }
  // Build into a private folder, then rename: a half-written binary never has the final name.
  const buildDir = join(ctx.cacheDir, `build-minio-${process.pid}`);
  mkdirSync(buildDir, { recursive: true });
  ctx.log(`building ${MODULE}@${MINIO_MODULE_VERSION} with go install (first run only; a few minutes)`);
  const started = Date.now();
  try {
    await run('go', ['install', `${MODULE}@${MINIO_MODULE_VERSION}`], {
      env: { ...process.env, GOBIN: buildDir, GOFLAGS: '-buildvcs=false', CGO_ENABLED: '0' },
      timeoutMs: BUILD_TIMEOUT_MS,
    });
    renameSync(join(buildDir, 'minio'), target);
  } finally {
    rmSync(buildDir, { recursive: true, force: true });
  }
  ctx.log(`built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** `minio --version` says DEVELOPMENT.GOGET for go-installed builds, so add the module version. */
async function versionOf(bin: string): Promise<string> {
  const out = await run(bin, ['--version'], { timeoutMs: 30_000 });
  // The first word is the binary's own file name (minio-<version>), then "version <release>".
  const release = /^\S+ version (\S+)/.exec(out)?.[1] ?? 'unknown';
  return release.startsWith('RELEASE.') ? release : `${release} (module ${MINIO_MODULE_VERSION})`;
}

async function live(url: string): Promise<true | undefined> {
  const res = await fetch(`${url}/minio/health/live`, { signal: AbortSignal.timeout(2000) });
  return res.ok ? true : undefined;
}

async function start(ctx: ServiceContext): Promise<RunningService> {
  const bin = binaryPath(ctx.cacheDir);
  const port = await ctx.freePort();
  let consolePort = await ctx.freePort();
  while (consolePort === port) consolePort = await ctx.freePort();
  const dataDir = join(ctx.dataDir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const accessKey = 'crvs-test-admin';
  const secretKey = randomBytes(18).toString('hex');
  const pid = spawnDaemon(
    bin,
    ['server', dataDir, '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`],
    {
      logFile: join(ctx.dataDir, 'minio.log'),
      // Credentials go through the environment, never argv (visible in ps).
      env: {
        ...process.env,
        MINIO_ROOT_USER: accessKey,
        MINIO_ROOT_PASSWORD: secretKey,
        MINIO_UPDATE: 'off',
        MINIO_CALLHOME_ENABLE: 'off',
        MINIO_SCANNER_SPEED: 'slowest',
      },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor('minio', () => live(url), START_TIMEOUT_MS, pid);
  return {
    name: 'minio',
    version: await versionOf(bin),
    url,
    pid,
    pids: [pid],
    real: true,
    env: { MINIO_URL: url, MINIO_ACCESS_KEY: accessKey, MINIO_SECRET_KEY: secretKey, MINIO_DATA_DIR: dataDir },
  };
}

export const minio: ServiceSpec = {
  name: 'minio',
  overrideVar: 'CRVS_TEST_MINIO_URL',
  install,
  start,
  async external(url) {
    // The user's own server: its credentials come from the usual variables, when set.
    const env: Record<string, string> = { MINIO_URL: url };
    const access = process.env['MINIO_ACCESS_KEY'];
    const secret = process.env['MINIO_SECRET_KEY'];
    if (access) env['MINIO_ACCESS_KEY'] = access;
    if (secret) env['MINIO_SECRET_KEY'] = secret;
    return { name: 'minio', version: 'external', url, pid: 0, pids: [], real: true, env };
  },
};
