/**
 * Opt-in interoperability check with the real MongoDB Database Tools (not part of `npm test`:
 * mongodump/mongorestore cannot be installed here). Run with the services up:
 *
 *   MONGODUMP_BIN=/path/mongodump MONGORESTORE_BIN=/path/mongorestore npx tsx scripts/interop/mongo-tools.ts
 *
 * 1. seed → our backup → `mongorestore --gzip --archive --drop` → data equal to the seeded state
 * 2. seed → `mongodump --gzip --archive` → our verify + restore → data equal to the seeded state
 * The server URL goes to the tools in a temporary --config file, never on their command line.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BSON, MongoClient } from 'mongodb';
import { loadConfig, type Config } from '../../src/config.ts';
import { userMessage } from '../../src/errors.ts';
import { createMongoAdapter, mongoArtifactPath } from '../../src/stores/mongo/index.ts';
import { scanArchive } from '../../src/stores/mongo/archive-scan.ts';
import type { Artifact, StoreContext } from '../../src/stores/types.ts';
import { seedMongo } from '../seed/mongo.ts';
import { servicesEnv } from '../services/harness.ts';

const execFileP = promisify(execFile);

function tool(variable: 'MONGODUMP_BIN' | 'MONGORESTORE_BIN'): string | undefined {
  const path = process.env[variable];
  if (!path) return undefined;
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return undefined;
  }
}

async function runTool(bin: string, configFile: string, args: string[]): Promise<void> {
  try {
    await execFileP(bin, [`--config=${configFile}`, ...args], { timeout: 10 * 60_000, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${bin} ${args.join(' ')} failed: ${(e.stderr ?? e.message).trim().split('\n').slice(-5).join('\n')}`);
  }
}

/** A digest per collection of its options, indexes and documents (sorted by _id). */
async function fingerprint(config: Config, withIndexes: boolean): Promise<Record<string, string>> {
  const client = new MongoClient(config.mongo.url, { serverSelectionTimeoutMS: config.connectTimeoutMs });
  const out: Record<string, string> = {};
  try {
    for (const dbName of config.mongo.databases) {
      const db = client.db(dbName);
      for (const c of await db.listCollections({}, { nameOnly: false }).toArray()) {
        if (c.name.startsWith('system.')) continue;
        const hash = createHash('sha256');
        hash.update(JSON.stringify(c['options'] ?? {}));
        const indexes = (await db.collection(c.name).listIndexes().toArray()).map((i) => JSON.stringify({ name: i['name'], key: i['key'], unique: i['unique'] ?? false }));
        if (withIndexes) hash.update(indexes.sort().join('\n'));
        for await (const d of db.collection(c.name).find({}, { promoteValues: false, bsonRegExp: true }).sort({ _id: 1 })) {
          hash.update(BSON.EJSON.stringify(d, { relaxed: false }));
        }
        out[`${dbName}.${c.name}`] = hash.digest('hex');
      }
    }
  } finally {
    await client.close();
  }
  return out;
}

function compare(what: string, expected: Record<string, string>, actual: Record<string, string>): boolean {
  const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
  const differ = keys.filter((k) => expected[k] !== actual[k]);
  if (differ.length === 0) {
    process.stdout.write(`PASS ${what}: ${keys.length} collections equal\n`);
    return true;
  }
  process.stdout.write(`FAIL ${what}: ${differ.length} collections differ: ${differ.join(', ')}\n`);
  return false;
}

async function main(): Promise<number> {
  const mongodump = tool('MONGODUMP_BIN');
  const mongorestore = tool('MONGORESTORE_BIN');
  if (!mongodump || !mongorestore) {
    process.stderr.write(
      'mongo-tools interop check not run: set MONGODUMP_BIN and MONGORESTORE_BIN to executable mongodump and mongorestore ' +
        '(MongoDB Database Tools 100.x), start the services (npm run services -- up --only mongo), and run again.\n',
    );
    return 2;
  }
  const env = servicesEnv();
  const root = mkdtempSync(join(env['BACKUP_ROOT'] ?? '/tmp', 'interop-'));
  const config = loadConfig({ ...env, LOG_LEVEL: 'silent', BACKUP_ROOT: root, ...(process.env['MONGO_URL'] ? { MONGO_URL: process.env['MONGO_URL'] } : {}) });
  const toolConfig = join(root, 'tools.yaml');
  writeFileSync(toolConfig, `uri: ${JSON.stringify(config.mongo.url)}\n`, { mode: 0o600 });
  const adapter = createMongoAdapter(config);
  const ctx = (label: string): StoreContext => ({ label, root, signal: AbortSignal.timeout(30 * 60_000), progress: () => undefined });
  let ok = true;
  try {
    const server = await adapter.version();
    process.stdout.write(`server: ${server}\n`);
    // mongorestore always sends an "ns" field with each index, which FerretDB refuses: against
    // FerretDB it restores documents only, and indexes are left out of the comparison.
    const ferret = server.startsWith('FerretDB');
    const restoreArgs = ferret ? ['--noIndexRestore'] : [];
    if (ferret) process.stdout.write('note: FerretDB refuses mongorestore\'s index specs ("ns" option): comparing documents and options only\n');

    // 1. Our archives restored by mongorestore.
    await seedMongo(config, { scale: 1, seed: 21 });
    const seeded = await fingerprint(config, !ferret);
    const ours = await adapter.backup(ctx('ours'));
    await seedMongo(config, { scale: 1, seed: 22 });
    for (const a of ours) await runTool(mongorestore, toolConfig, ['--gzip', `--archive=${join(root, a.path)}`, '--drop', '--quiet', ...restoreArgs]);
    ok = compare('our archive → mongorestore --gzip --archive --drop', seeded, await fingerprint(config, !ferret)) && ok;

    // 2. mongodump's archives restored by us.
    await seedMongo(config, { scale: 1, seed: 23 });
    const dumped = await fingerprint(config, true);
    const theirs: Artifact[] = [];
    for (const db of config.mongo.databases) {
      const path = mongoArtifactPath(db, 'mongodump');
      const file = join(root, path);
      await runTool(mongodump, toolConfig, [`--db=${db}`, '--gzip', `--archive=${file}`, '--quiet']);
      const summary = await scanArchive(file);
      theirs.push({ store: 'mongo', path, kind: 'file', bytes: 0, sha256: '', counts: summary.counts, durationMs: 0, meta: { database: db } });
    }
    const problems = await adapter.verify(theirs, ctx('mongodump'));
    if (problems.length > 0) process.stdout.write(`FAIL verify of mongodump archives:\n- ${problems.join('\n- ')}\n`);
    await seedMongo(config, { scale: 1, seed: 24 });
    await adapter.restore(theirs, ctx('mongodump'));
    ok = compare('mongodump --gzip --archive → our restore', dumped, await fingerprint(config, true)) && problems.length === 0 && ok;
  } finally {
    await adapter.close();
  }
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`mongo-tools interop: ${userMessage(err)}\n`);
    process.exit(1);
  },
);
