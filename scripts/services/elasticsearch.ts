/**
 * Elasticsearch: one real node (the server jar from Maven Central, version below) run by a tiny
 * launcher (scripts/services/es-launcher/) on loopback. Maven builds the launcher once into
 * <cache>/es-launcher-<version>/ and writes the resolved classpath beside it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import type { RunningService, ServiceContext, ServiceSpec } from './types.ts';
import { run, spawnDaemon, stopPids, waitFor, which } from './util.ts';

/** Must match es.version in es-launcher/pom.xml. */
export const ES_VERSION = '8.15.0';
const LAUNCHER_DIR = join(import.meta.dirname, 'es-launcher');
const MAIN_CLASS = 'crvs.eslauncher.Launcher';
/** A cold build downloads ~60 jars; on a warm ~/.m2 it takes ~10 s. */
const BUILD_TIMEOUT_MS = 20 * 60_000;
const START_TIMEOUT_MS = 120_000;
const HEAP = '768m';

const rootInfo = z.object({ version: z.object({ number: z.string() }) });

function buildDir(cacheDir: string): string {
  return join(cacheDir, `es-launcher-${ES_VERSION}`);
}

/** Hash of the launcher's pom and sources: a changed source rebuilds the cached launcher. */
function sourceFingerprint(): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else hash.update(`${relative(LAUNCHER_DIR, full)}\n`).update(readFileSync(full));
    }
  };
  hash.update(readFileSync(join(LAUNCHER_DIR, 'pom.xml')));
  walk(join(LAUNCHER_DIR, 'src'));
  return hash.digest('hex');
}

async function install(ctx: ServiceContext): Promise<void> {
  const target = buildDir(ctx.cacheDir);
  const stamp = join(target, 'fingerprint');
  const fingerprint = sourceFingerprint();
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === fingerprint) return;
  for (const tool of ['java', 'mvn']) {
    if (!(await which(tool))) throw new Error(`elasticsearch: ${tool} is needed (apt-get install openjdk-17-jdk-headless maven)`);
  }
  // Build into a private folder, then rename: a half-built launcher never has the final name.
  const tmp = `${target}.build-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  ctx.log(`building the launcher for Elasticsearch ${ES_VERSION} with Maven (first run only)`);
  const started = Date.now();
  try {
    await run(
      'mvn',
      ['-q', '-B', '-f', join(LAUNCHER_DIR, 'pom.xml'), `-Desl.out=${join(tmp, 'target')}`,
        `-Dmdep.outputFile=${join(tmp, 'classpath.txt')}`, 'package', 'dependency:build-classpath'],
      { timeoutMs: BUILD_TIMEOUT_MS },
    );
    writeFileSync(join(tmp, 'fingerprint'), fingerprint);
    rmSync(target, { recursive: true, force: true });
    renameSync(tmp, target);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  ctx.log(`launcher built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

async function rootVersion(url: string, timeoutMs = 2000): Promise<string> {
  const res = await fetch(`${url}/`, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`GET / answered ${res.status}`);
  return rootInfo.parse(await res.json()).version.number;
}

/** Quotes a path for a java @argfile (backslashes and quotes escaped). */
function argQuote(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

async function start(ctx: ServiceContext): Promise<RunningService> {
  const built = buildDir(ctx.cacheDir);
  const classpath = `${join(built, 'target', 'classes')}:${readFileSync(join(built, 'classpath.txt'), 'utf8').trim()}`;
  const [httpPort, transportPort] = [await ctx.freePort(), await ctx.freePort()];
  const home = join(ctx.dataDir, 'home');
  const tmp = join(ctx.dataDir, 'tmp');
  // path.repo: every test's BACKUP_ROOT lives below <services>/backups, so their repositories do too.
  const repo = join(ctx.servicesDir, 'backups');
  for (const d of [home, tmp, repo]) mkdirSync(d, { recursive: true });
  // The classpath is long: an @argfile keeps `ps` readable.
  const argFile = join(ctx.dataDir, 'java.args');
  const jvm = [`-Xms${HEAP}`, `-Xmx${HEAP}`, '-XX:+UseSerialGC', '-Djava.awt.headless=true', '-Dfile.encoding=UTF-8',
    '-Dlog4j2.disable.jmx=true', '-Dlog4j2.level=INFO', `-Djava.io.tmpdir=${tmp}`];
  writeFileSync(argFile, `${[...jvm, '-cp', classpath].map(argQuote).join('\n')}\n`);
  const pid = spawnDaemon(
    'java',
    [`@${argFile}`, MAIN_CLASS, home, join(ctx.dataDir, 'data'), join(ctx.dataDir, 'logs'), repo, String(httpPort), String(transportPort)],
    { logFile: join(ctx.dataDir, 'elasticsearch.log'), cwd: ctx.dataDir },
  );
  const url = `http://127.0.0.1:${httpPort}`;
  let version: string;
  try {
    version = await waitFor('elasticsearch', () => rootVersion(url), START_TIMEOUT_MS, pid);
  } catch (err) {
    // A node that never answered is not recorded anywhere: stop it here or it would outlive us.
    await stopPids([pid]);
    throw new Error(`${err instanceof Error ? err.message : String(err)} (log: ${join(ctx.dataDir, 'elasticsearch.log')})`);
  }
  return { name: 'elasticsearch', version, url, pid, pids: [pid], real: true, env: { ES_URL: url } };
}

export const elasticsearch: ServiceSpec = {
  name: 'elasticsearch',
  overrideVar: 'CRVS_TEST_ES_URL',
  install,
  start,
  async external(url) {
    const version = await rootVersion(url, 10_000);
    return { name: 'elasticsearch', version, url, pid: 0, pids: [], real: true, env: { ES_URL: url } };
  },
};
