/**
 * The local services harness: installs, starts, describes and stops real servers on loopback.
 * Used by `npm run services`, the test suite's globalSetup and `npm start`.
 */
import { mkdirSync, readFileSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RunningService, ServiceContext, ServiceSpec } from './types.ts';
import { SERVICES } from './registry.ts';
import { alive, freePort, readEnvFile, stopPids } from './util.ts';

export const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..');

export interface HarnessOptions {
  /** The .services folder; default <project>/.services. */
  servicesDir?: string;
  log?: (message: string) => void;
  /** Only these services (by name); default all. */
  only?: string[];
}

interface State {
  services: RunningService[];
}

function dirs(opts: HarnessOptions): { servicesDir: string; cacheDir: string } {
  const servicesDir = opts.servicesDir ?? process.env['CRVS_SERVICES_DIR'] ?? join(PROJECT_ROOT, '.services');
  const cacheDir = process.env['CRVS_CACHE_DIR'] ?? join(homedir(), '.cache', 'crvs-backup-bot');
  mkdirSync(servicesDir, { recursive: true });
  mkdirSync(cacheDir, { recursive: true });
  return { servicesDir, cacheDir };
}

function context(spec: ServiceSpec, opts: HarnessOptions): ServiceContext {
  const { servicesDir, cacheDir } = dirs(opts);
  const dataDir = join(servicesDir, spec.name);
  mkdirSync(dataDir, { recursive: true });
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  return { dataDir, cacheDir, servicesDir, freePort, log: (m) => log(`[${spec.name}] ${m}`) };
}

/** The .services folder in use (CRVS_SERVICES_DIR moves it), for messages that name its files. */
export function servicesDir(opts: HarnessOptions = {}): string {
  return dirs(opts).servicesDir;
}

export function readState(opts: HarnessOptions = {}): RunningService[] {
  const file = join(dirs(opts).servicesDir, 'state.json');
  if (!existsSync(file)) return [];
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as State).services;
  } catch {
    return [];
  }
}

function writeState(services: RunningService[], opts: HarnessOptions): void {
  const { servicesDir } = dirs(opts);
  const tmp = join(servicesDir, 'state.json.tmp');
  // Holds each service's env (the MinIO root password among them): readable by its owner only, like .services/env.
  writeFileSync(tmp, JSON.stringify({ services }, null, 2), { mode: 0o600 });
  renameSync(tmp, join(servicesDir, 'state.json'));
  const env: Record<string, string> = {
    BACKUP_ROOT: join(servicesDir, 'backups'),
    // The deployment's other folders (OpenCRVS's /data/vsexport), seeded by `npm run seed`.
    BACKUP_FOLDERS: join(servicesDir, 'folders', 'vsexport'),
  };
  mkdirSync(env['BACKUP_ROOT'] as string, { recursive: true });
  mkdirSync(env['BACKUP_FOLDERS'] as string, { recursive: true });
  for (const s of services) Object.assign(env, s.env);
  const lines = Object.entries(env).map(([k, v]) => `${k}=${quote(v)}`);
  writeFileSync(join(servicesDir, 'env'), `# written by npm run services -- up\n${lines.join('\n')}\n`, { mode: 0o600 });
}

function quote(v: string): string {
  return /^[\w@%+=:,./-]*$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}

/** The pids now: a service with a pid file (an engine that tests restart) is followed through it. */
function currentPids(s: RunningService): number[] {
  if (!s.pidFile) return s.pids;
  try {
    const pid = Number(readFileSync(s.pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? [pid] : [];
  } catch {
    return [];
  }
}

function isUp(s: RunningService): boolean {
  if (s.pid === 0) return true;
  const pids = currentPids(s);
  return pids.length > 0 && pids.every(alive);
}

/** Starts every service not already running; returns all of them. */
export async function up(opts: HarnessOptions = {}): Promise<RunningService[]> {
  const specs = SERVICES.filter((s) => !opts.only || opts.only.includes(s.name));
  const previous = readState(opts);
  const result: RunningService[] = previous.filter((s) => isUp(s) && !specs.some((x) => x.name === s.name));
  for (const spec of specs) {
    const ctx = context(spec, opts);
    const running = previous.find((s) => s.name === spec.name);
    if (running && isUp(running)) {
      result.push(running);
      continue;
    }
    if (running) await stopPids(currentPids(running), undefined, running.stopSignal);
    const override = spec.overrideVar ? process.env[spec.overrideVar] : undefined;
    if (override && spec.external) {
      result.push(await spec.external(override, ctx));
      continue;
    }
    let svc: RunningService;
    const started = Date.now();
    try {
      await spec.install(ctx);
      svc = await spec.start(ctx);
    } catch (err) {
      if (!spec.optional) throw err;
      ctx.log(`not available, going on without it: ${(err as Error).message}`);
      continue;
    }
    ctx.log(`up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    result.push(svc);
    writeState(result, opts);
  }
  writeState(result, opts);
  return result;
}

/** Stops every service this harness started, by pid. */
export async function down(opts: HarnessOptions = {}): Promise<RunningService[]> {
  const state = readState(opts);
  const stopping = state.filter((s) => !opts.only || opts.only.includes(s.name));
  await Promise.all(
    stopping.map(async (s) => {
      const spec = SERVICES.find((x) => x.name === s.name);
      if (spec?.stop) await spec.stop(s, context(spec, opts));
      await stopPids(currentPids(s), undefined, s.stopSignal);
    }),
  );
  writeState(state.filter((s) => !stopping.includes(s)), opts);
  return stopping;
}

export function status(opts: HarnessOptions = {}): Array<RunningService & { running: boolean }> {
  return readState(opts).map((s) => ({ ...s, running: isUp(s) }));
}

/** Reads .services/env as a plain object (for tests and `npm start`). */
export function servicesEnv(opts: HarnessOptions = {}): Record<string, string> {
  const file = join(dirs(opts).servicesDir, 'env');
  // Missing: the services were never started (callers say which one to start).
  if (!existsSync(file)) throw new Error(`${file} does not exist: start the services (npm run services -- up)`);
  return readEnvFile(file);
}
