/**
 * InfluxDB 1.8.10 (the version OpenCRVS v1.6+ runs), built from the Go module proxy into the cache;
 * Debian's influxd (1.6.7, package `influxdb`) when the build is impossible. Started with its own
 * config file: HTTP and the backup/restore RPC endpoint both on loopback.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningService, ServiceContext, ServiceSpec } from './types.ts';
import { run, spawnDaemon, waitFor, which } from './util.ts';

const INFLUX_VERSION = '1.8.10';
const INFLUX_MODULE = `github.com/influxdata/influxdb/cmd/influxd@v${INFLUX_VERSION}`;
const BUILD_TIMEOUT_MS = 10 * 60_000;
const START_TIMEOUT_MS = 60_000;

function builtBinary(cacheDir: string): string {
  return join(cacheDir, `influxdb-${INFLUX_VERSION}`, 'influxd');
}

async function buildInfluxd(ctx: ServiceContext): Promise<void> {
  const bin = builtBinary(ctx.cacheDir);
  if (existsSync(bin)) return;
  if (!(await which('go'))) {
    ctx.log('go is not installed: falling back to Debian influxd');
    return;
  }
  const started = Date.now();
  ctx.log(`building influxd ${INFLUX_VERSION} (first time only, about a minute)`);
  const gobin = join(ctx.cacheDir, `influxdb-${INFLUX_VERSION}`, 'tmp');
  mkdirSync(gobin, { recursive: true });
  try {
    // main.version is otherwise empty and the server would report "unknown".
    await run('go', ['install', '-ldflags', `-X main.version=${INFLUX_VERSION} -X main.commit=v${INFLUX_VERSION}`, INFLUX_MODULE], {
      env: { ...process.env, GOBIN: gobin, GOFLAGS: '-buildvcs=false' },
      timeoutMs: BUILD_TIMEOUT_MS,
    });
  } catch (err) {
    ctx.log(`building influxd ${INFLUX_VERSION} failed, falling back to Debian influxd: ${(err as Error).message.slice(-300)}`);
    return;
  }
  // Rename last so an interrupted build never leaves a binary that looks complete.
  renameSync(join(gobin, 'influxd'), bin);
  ctx.log(`built influxd ${INFLUX_VERSION} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

async function pickBinary(ctx: ServiceContext): Promise<string> {
  const built = builtBinary(ctx.cacheDir);
  if (existsSync(built)) return built;
  const debian = await which('influxd');
  if (debian) return debian;
  throw new Error(`influxd is not available: install Go (to build ${INFLUX_VERSION}) or apt-get install influxdb`);
}

function configText(dataDir: string, httpPort: number, rpcPort: number): string {
  const q = (p: string): string => JSON.stringify(p);
  return `# written by scripts/services/influxdb.ts
reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = ${q(join(dataDir, 'meta'))}

[data]
  dir = ${q(join(dataDir, 'data'))}
  wal-dir = ${q(join(dataDir, 'wal'))}
  query-log-enabled = false

[monitor]
  store-enabled = false

[http]
  bind-address = "127.0.0.1:${httpPort}"
  log-enabled = false
`;
}

async function ping(url: string): Promise<string | undefined> {
  const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(2000) });
  if (res.status !== 204) return undefined;
  return res.headers.get('x-influxdb-version') ?? 'unknown';
}

export const influxdb: ServiceSpec = {
  name: 'influxdb',
  overrideVar: 'CRVS_TEST_INFLUX_URL',
  async install(ctx) {
    await buildInfluxd(ctx);
    await pickBinary(ctx);
  },
  async start(ctx): Promise<RunningService> {
    const bin = await pickBinary(ctx);
    const httpPort = await ctx.freePort();
    const rpcPort = await ctx.freePort();
    const conf = join(ctx.dataDir, 'influxdb.conf');
    writeFileSync(conf, configText(ctx.dataDir, httpPort, rpcPort));
    const pid = spawnDaemon(bin, ['-config', conf], { logFile: join(ctx.dataDir, 'influxd.log') });
    const url = `http://127.0.0.1:${httpPort}`;
    const version = await waitFor('influxdb', () => ping(url), START_TIMEOUT_MS, pid);
    const rpc = `127.0.0.1:${rpcPort}`;
    return {
      name: 'influxdb',
      version: `InfluxDB ${version}`,
      url,
      pid,
      pids: [pid],
      real: true,
      env: { INFLUX_URL: url, INFLUX_RPC_ADDRESS: rpc, INFLUXD_BIN: bin, INFLUX_EXEC: 'local' },
    };
  },
  async external(url) {
    // The override names only the HTTP endpoint; the RPC endpoint is on the same host, port 8088.
    const rpc = `${new URL(url).hostname}:8088`;
    const version = (await ping(url)) ?? 'external';
    return {
      name: 'influxdb',
      version: `InfluxDB ${version}`,
      url,
      pid: 0,
      pids: [],
      real: true,
      env: { INFLUX_URL: url, INFLUX_RPC_ADDRESS: rpc, INFLUXD_BIN: 'influxd', INFLUX_EXEC: 'local' },
    };
  },
};
