/**
 * The MongoDB Database Tools (mongodump, mongorestore): not a server, but real binaries the tests
 * and benchmarks compare with. The Go module proxy refuses their module, so they come from
 * ../shared/tools/mongo-tools/ (built from the public source); a user's own tools win: named by
 * MONGODUMP_BIN / MONGORESTORE_BIN, or on PATH. Optional: without them the harness still starts,
 * and the interop tests fail saying they are missing.
 */
import { accessSync, constants } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RunningService, ServiceSpec } from './types.ts';
import { run, which } from './util.ts';

const SHARED = join(import.meta.dirname, '..', '..', '..', 'shared', 'tools', 'mongo-tools');

function executable(path: string | undefined): string | undefined {
  if (!path) return undefined;
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return undefined;
  }
}

async function locate(): Promise<{ mongodump: string; mongorestore: string; from: string }> {
  const fromEnv = { mongodump: executable(process.env['MONGODUMP_BIN']), mongorestore: executable(process.env['MONGORESTORE_BIN']) };
  if (fromEnv.mongodump && fromEnv.mongorestore) return { mongodump: fromEnv.mongodump, mongorestore: fromEnv.mongorestore, from: 'MONGODUMP_BIN/MONGORESTORE_BIN' };
  const onPath = { mongodump: await which('mongodump'), mongorestore: await which('mongorestore') };
  if (onPath.mongodump && onPath.mongorestore) return { mongodump: onPath.mongodump, mongorestore: onPath.mongorestore, from: 'PATH' };
  const shared = { mongodump: executable(join(SHARED, 'mongodump')), mongorestore: executable(join(SHARED, 'mongorestore')) };
  if (shared.mongodump && shared.mongorestore) return { mongodump: shared.mongodump, mongorestore: shared.mongorestore, from: dirname(shared.mongodump) };
  throw new Error(`mongodump and mongorestore not found (MONGODUMP_BIN/MONGORESTORE_BIN, PATH, ${SHARED})`);
}

export const mongoTools: ServiceSpec = {
  name: 'mongo-tools',
  optional: true,
  async install() {
    await locate();
  },
  async start(): Promise<RunningService> {
    const tools = await locate();
    const version = /version: (\S+)/.exec(await run(tools.mongodump, ['--version'], { timeoutMs: 20_000 }))?.[1] ?? 'unknown';
    return {
      name: 'mongo-tools',
      version: `mongodump/mongorestore ${version}`,
      url: `file://${dirname(tools.mongodump)}`,
      pid: 0,
      pids: [],
      real: true,
      env: { MONGODUMP_BIN: tools.mongodump, MONGORESTORE_BIN: tools.mongorestore },
    };
  },
};
