/**
 * Makes a backup set the way today's OpenCRVS shell scripts do, without any of the bot's writers:
 * - mongo/<db>-<label>.gz: a gzipped archive laid out as `mongodump --gzip --archive` lays it out
 *   (prelude with server and tool versions, collections dumped in parallel so their blocks
 *   interleave, one EOF block with the CRC-64 of each namespace when it finishes);
 * - elasticsearch/: `PUT _snapshot/<repo>/snapshot_<label>?wait_for_completion=true` with curl's body (none);
 * - influxdb/<label>/: `influxd backup -portable -database <db> -host <rpc> <dir>`;
 * - minio/ocrvs-<label>.tar.gz: a tar.gz of MinIO's live data folder.
 */
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createGzip } from 'node:zlib';
import { BSON, Long, MongoClient, type Document } from 'mongodb';
import type { Config } from '../../src/config.ts';
// Only the checksum primitive is shared with the bot; the optional mongodump check covers it.
import { Crc64 } from '../../src/stores/mongo/crc64.ts';

const execFileP = promisify(execFile);
const MAGIC = 0x8199e26d;
const TERMINATOR = 0xffffffff;
/** Documents per block: mongodump's multiplexer switches namespace after each buffered write. */
const BLOCK_DOCS = 7;

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

interface Ns {
  collection: string;
  metadata: string;
  docs: AsyncIterator<Uint8Array>;
  crc: Crc64;
  count: number;
  done: boolean;
}

async function namespaces(client: MongoClient, dbName: string): Promise<Ns[]> {
  const db = client.db(dbName);
  const out: Ns[] = [];
  const infos = await db.listCollections({}, { nameOnly: false }).toArray();
  for (const info of infos.filter((c) => !c.name.startsWith('system.')).sort((a, b) => a.name.localeCompare(b.name))) {
    const indexes = (await db.collection(info.name).listIndexes({ promoteValues: false }).toArray()).map(({ ns: _ns, ...rest }: Document) => rest);
    const options = (info as Document)['options'] as Document | undefined;
    const metadata = BSON.EJSON.stringify({ ...(options && Object.keys(options).length > 0 ? { options } : {}), indexes, collectionName: info.name, type: 'collection' }, { relaxed: false });
    const cursor = db.collection(info.name).find({}, { raw: true, batchSize: 500 }) as unknown as AsyncIterable<Uint8Array>;
    out.push({ collection: info.name, metadata, docs: cursor[Symbol.asyncIterator](), crc: new Crc64(), count: 0, done: false });
  }
  return out;
}

async function* mongodumpArchive(client: MongoClient, db: string, serverVersion: string): AsyncGenerator<Buffer> {
  const all = await namespaces(client, db);
  yield u32(MAGIC);
  yield Buffer.from(BSON.serialize({ concurrent_collections: new BSON.Int32(4), version: '0.1', server_version: serverVersion, tool_version: '100.9.4' }));
  for (const ns of all) yield Buffer.from(BSON.serialize({ db, collection: ns.collection, metadata: ns.metadata, size: new BSON.Int32(0), type: 'collection' }));
  yield u32(TERMINATOR);
  // Four collections at a time, block by block, as mongodump's parallel dump threads interleave.
  const pending = [...all];
  const active: Ns[] = [];
  while (pending.length > 0 || active.length > 0) {
    while (active.length < 4 && pending.length > 0) active.push(pending.shift() as Ns);
    for (const ns of [...active]) {
      const block: Uint8Array[] = [];
      while (block.length < BLOCK_DOCS) {
        const next = await ns.docs.next();
        if (next.done) {
          ns.done = true;
          break;
        }
        block.push(next.value);
      }
      if (block.length > 0) {
        yield Buffer.from(BSON.serialize({ db, collection: ns.collection, EOF: false, CRC: Long.ZERO }));
        for (const doc of block) {
          ns.crc.update(doc);
          ns.count += 1;
          yield Buffer.from(doc);
        }
        yield u32(TERMINATOR);
      }
      if (ns.done) {
        yield Buffer.from(BSON.serialize({ db, collection: ns.collection, EOF: true, CRC: ns.crc.value() }));
        yield u32(TERMINATOR);
        active.splice(active.indexOf(ns), 1);
      }
    }
  }
}

/** Writes `mongo/<db>-<label>.gz` for every configured database that exists on the server. */
export async function mongoLikeScripts(config: Config, label: string): Promise<string[]> {
  const client = new MongoClient(config.mongo.url, { serverSelectionTimeoutMS: 10_000 });
  await client.connect();
  const written: string[] = [];
  try {
    await mkdir(join(config.backupRoot, 'mongo'), { recursive: true });
    const existing = new Set((await client.db('admin').admin().listDatabases({ nameOnly: true })).databases.map((d) => d.name));
    for (const db of config.mongo.databases.filter((d) => existing.has(d))) {
      const file = join(config.backupRoot, 'mongo', `${db}-${label}.gz`);
      await pipeline(Readable.from(mongodumpArchive(client, db, '4.4.29')), createGzip(), createWriteStream(file));
      written.push(file);
    }
  } finally {
    await client.close();
  }
  return written;
}

/** Registers the fs repository and takes `snapshot_<label>` as the scripts' curl calls do. */
export async function elasticsearchLikeScripts(config: Config, label: string): Promise<void> {
  const base = config.elasticsearch.url.replace(/\/$/, '');
  const repo = config.elasticsearch.repository;
  const json = { 'content-type': 'application/json' };
  const put = await fetch(`${base}/_snapshot/${repo}`, { method: 'PUT', headers: json, body: JSON.stringify({ type: 'fs', settings: { location: config.elasticsearch.repositoryLocation, compress: true } }), signal: AbortSignal.timeout(60_000) });
  if (!put.ok) throw new Error(`registering repository ${repo}: HTTP ${put.status} ${await put.text()}`);
  const snap = await fetch(`${base}/_snapshot/${repo}/snapshot_${label}?wait_for_completion=true&pretty`, { method: 'PUT', signal: AbortSignal.timeout(300_000) });
  const body = (await snap.json()) as { snapshot?: { state?: string } };
  if (body.snapshot?.state !== 'SUCCESS') throw new Error(`snapshot_${label}: ${JSON.stringify(body).slice(0, 500)}`);
}

/** `influxd backup -portable -database <db> -host <rpc> <root>/influxdb/<label>`. */
export async function influxLikeScripts(config: Config, label: string): Promise<void> {
  const dir = join(config.backupRoot, 'influxdb', label);
  await execFileP(config.influx.influxdBin, ['backup', '-portable', '-database', config.influx.database, '-host', config.influx.rpcAddress, dir], { timeout: 300_000 });
}

/** `tar -czf <root>/minio/ocrvs-<label>.tar.gz -C <MinIO data folder> .` of the live folder. */
export async function minioLikeScripts(config: Config, label: string): Promise<string> {
  const dataDir = config.minio.dataDir;
  if (!dataDir) throw new Error('MINIO_DATA_DIR is not in .services/env: the MinIO service must export it');
  await mkdir(join(config.backupRoot, 'minio'), { recursive: true });
  const file = join(config.backupRoot, 'minio', `ocrvs-${label}.tar.gz`);
  // tar exits 1 when a file changes while it is read; the scripts accept that. MinIO's scratch
  // space (.minio.sys/tmp) is left out only to keep the test fast.
  await execFileP('tar', ['--warning=no-file-changed', '--exclude=./.minio.sys/tmp', '-czf', file, '-C', dataDir, '.'], { timeout: 300_000 }).catch((err: { code?: number }) => {
    if (err.code !== 1) throw err;
  });
  return file;
}

/** `cd /data/vsexport && tar -zcvf <root>/vsexport/ocrvs-<label>.tar.gz .`, as backup.sh does. */
export async function vsexportLikeScripts(config: Config, label: string): Promise<void> {
  const folder = config.folders.folders.find((f) => f.endsWith('/vsexport'));
  if (!folder) return;
  await mkdir(join(config.backupRoot, 'vsexport'), { recursive: true });
  await execFileP('tar', ['-zcf', join(config.backupRoot, 'vsexport', `ocrvs-${label}.tar.gz`), '-C', folder, '.'], { timeout: 300_000 });
}

/** Every store, as the nightly cron job of the scripts would. */
export async function legacySet(config: Config, label: string): Promise<void> {
  await mongoLikeScripts(config, label);
  await elasticsearchLikeScripts(config, label);
  await influxLikeScripts(config, label);
  await minioLikeScripts(config, label);
  await vsexportLikeScripts(config, label);
}
