/**
 * The nightly backup job followed by the restore drill, on the harness's real MongoDB, MinIO,
 * folders, Redis and InfluxDB, reporting to the fake Slack: live data untouched, no scratch left,
 * the drill line and trend chart posted, the figures in InfluxDB; metrics never fail a backup.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Job } from 'bullmq';
import * as Minio from 'minio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackupProcessor } from '../../jobs/backup.ts';
import type { BackupJobData } from '../../src/queue/schemas.ts';
import { createLogger } from '../../src/log.ts';
import { createAdapters } from '../../src/stores/registry.ts';
import { createInfluxHttp } from '../../src/stores/influxdb/http.ts';
import { CHANNEL, closedPort, makeEnv, ONCALL, TOKEN, type Env } from '../pipeline/helpers.ts';
import { testConfig } from '../helpers/env.ts';
import type { Logger } from '../../src/log.ts';

/** The pipeline tests' world (fake Slack, Redis prefix, backup root) with more stores and a capturing logger. */
async function worldWith(overrides: Record<string, string>, logger: Logger): Promise<Env> {
  const env = await makeEnv({ BACKUP_STORES: 'mongo' });
  await Promise.allSettled([...env.backup.adapters.values()].map((a) => a.close()));
  const config = testConfig({
    MONGO_DATABASES: env.config.mongo.databases.join(','),
    BACKUP_ROOT: env.config.backupRoot,
    CONNECT_TIMEOUT_SECONDS: '2',
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_API_URL: env.fake.apiUrl,
    SLACK_CHANNEL: CHANNEL,
    SLACK_ONCALL_GROUP: ONCALL,
    BACKUP_SERVER_HOST: '',
    ...overrides,
  });
  return { ...env, config, backup: { config, logger, adapters: createAdapters(config, logger), botVersion: 'test' } };
}
import { createContentHash } from '../../src/drill/fingerprint.ts';

function fakeJob(id: string, data: BackupJobData): Job<BackupJobData> {
  return { id, data } as unknown as Job<BackupJobData>;
}

async function folderPrint(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) if (e.isFile()) out.push(join(e.parentPath, e.name));
  return out.sort();
}

describe('nightly backup with the restore drill', () => {
  let env: Env;
  let minio: Minio.Client;
  let bucket: string;
  let folderParent: string;
  let folder: string;
  let metricsDb: string;
  const logs: string[] = [];

  beforeAll(async () => {
    const id = Math.random().toString(36).slice(2, 10);
    bucket = `drillb-${id}`;
    metricsDb = `crvs_backup_t_${id}`;
    const base = await mkdtemp(join(process.env['TMPDIR'] ?? '/tmp', 'drill-folders-'));
    folderParent = base;
    folder = join(base, 'vsexport');
    await mkdir(join(folder, 'sub'), { recursive: true });
    await writeFile(join(folder, 'a.csv'), 'id,name\n1,Ama\n');
    await writeFile(join(folder, 'sub', 'b.json'), JSON.stringify({ n: 2 }));
    const logger = createLogger('info', new Writable({ write(chunk: Buffer, _e, done) { logs.push(chunk.toString()); done(); } }));
    env = await worldWith({ BACKUP_STORES: 'mongo,minio,folders', MINIO_BUCKETS: bucket, BACKUP_FOLDERS: folder, METRICS_DATABASE: metricsDb, DRILL_SCHEDULE: 'nightly' }, logger);
    const u = new URL(env.config.minio.url);
    minio = new Minio.Client({ endPoint: u.hostname, port: Number(u.port), useSSL: false, accessKey: env.config.minio.accessKey, secretKey: env.config.minio.secretKey });
    await minio.makeBucket(bucket);
    for (let i = 0; i < 5; i += 1) await minio.putObject(bucket, `docs/${i}.txt`, Buffer.from(`document ${i}`));
    const db = env.config.mongo.databases[0] as string;
    const { MongoClient } = await import('mongodb');
    const c = new MongoClient(env.config.mongo.url);
    await c.db(db).collection('Patient').insertMany(Array.from({ length: 120 }, (_, i) => ({ i, name: `p${i}` })));
    await c.close();
  }, 180_000);

  afterAll(async () => {
    const { MongoClient } = await import('mongodb');
    const c = new MongoClient(env.config.mongo.url);
    for (const db of env.config.mongo.databases) await c.db(db).dropDatabase().catch(() => undefined);
    await c.close();
    for (const b of [bucket, `drill-${bucket}`]) {
      if (!(await minio.bucketExists(b).catch(() => false))) continue;
      const keys: string[] = [];
      for await (const o of minio.listObjectsV2(b, '', true)) if (o.name) keys.push(o.name);
      if (keys.length > 0) await minio.removeObjects(b, keys);
      await minio.removeBucket(b);
    }
    await createInfluxHttp({ url: env.config.influx.url, username: undefined, password: undefined, connectTimeoutMs: 5000, operationTimeoutMs: 5000 }).query(`DROP DATABASE "${metricsDb}"`, { write: true }).catch(() => undefined);
    await Promise.allSettled([...env.backup.adapters.values()].map((a) => a.close()));
    await env?.close();
    await rm(folderParent, { recursive: true, force: true });
  });

  async function livePrint(): Promise<unknown> {
    const { MongoClient } = await import('mongodb');
    const c = new MongoClient(env.config.mongo.url);
    const h = createContentHash();
    for await (const d of c.db(env.config.mongo.databases[0] as string).collection('Patient').find({}, { raw: true }) as unknown as AsyncIterable<Uint8Array>) h.add(d);
    await c.close();
    const objs: string[] = [];
    for await (const o of minio.listObjectsV2(bucket, '', true)) objs.push(`${o.name} ${o.etag}`);
    return { mongo: h.digest(), minio: objs.sort(), folder: await folderPrint(folder) };
  }

  it('runs the drill after the scheduled backup: report line, history, figures in InfluxDB, nothing left', async () => {
    const before = await livePrint();
    const processor = createBackupProcessor({ backup: env.backup, redis: env.lockRedis, history: env.history, offsite: undefined, slack: env.slack, nextRun: async () => undefined, lockWaitMs: 0 });
    const out = await processor(fakeJob(`nightly-${Date.now()}`, { trigger: 'schedule', requestedBy: 'schedule' }));
    expect(out.outcome, JSON.stringify(out.problems)).toBe('ok');

    const line = env.fake.messages.find((m) => m.channel === CHANNEL && m.text.includes('Restore drill'));
    expect(line?.text).toMatch(new RegExp(`^:white_check_mark: Restore drill of ${out.label} ✓ \\d+ (s|min) \\(mongo \\d+ (s|min), minio \\d+ (s|min), folders \\d+ (s|min)\\)`));
    expect(line?.text).toContain('Last 14 nights:');
    expect(line?.text).toMatch(/Set size +\S+/);
    expect(line?.text).not.toContain(ONCALL);

    const kinds = (await env.history.list(10)).map((e) => `${e.kind} ${e.outcome}`);
    expect(kinds).toContain('drill ok');
    expect(kinds).toContain('backup ok');

    expect(await livePrint()).toEqual(before);
    expect(await minio.bucketExists(`drill-${bucket}`)).toBe(false);
    expect(await readdir(folderParent)).toEqual(['vsexport']);

    const http = createInfluxHttp({ url: env.config.influx.url, username: undefined, password: undefined, connectTimeoutMs: 5000, operationTimeoutMs: 10_000 });
    const drills = await http.query('SELECT "seconds", "outcome" FROM "drill_store" GROUP BY "store"', { db: metricsDb });
    expect(drills.map((s) => s.tags?.['store']).sort()).toEqual(['folders', 'minio', 'mongo']);
    const runs = await http.query('SELECT "bytes", "records" FROM "backup_run"', { db: metricsDb });
    expect(runs[0]?.values?.[0]?.[2]).toBe(120 + 5 + 2);
  }, 300_000);

  it('pages on-call naming the store and the difference when the drill fails', async () => {
    // The set recorded other folder content than its archive holds (as if the archive had been
    // rewritten after the backup): the drill must say which store and what differs.
    const { readManifest, writeManifest, listManifests } = await import('../../src/backup/manifest.ts');
    const [newest] = (await listManifests(env.config.backupRoot)).sort((a, b) => (a.manifest.createdAt < b.manifest.createdAt ? 1 : -1));
    if (!newest) throw new Error('no set');
    const read = await readManifest(env.config.backupRoot, newest.manifest.label);
    const art = read?.manifest.artifacts.find((a) => a.store === 'folders');
    if (!read || !art?.meta) throw new Error('no folders artifact');
    art.meta['contentDigest'] = '0'.repeat(64);
    await writeManifest(env.config.backupRoot, read.manifest);
    const processor = createBackupProcessor({ backup: env.backup, redis: env.lockRedis, history: env.history, offsite: undefined, slack: env.slack, nextRun: async () => undefined, lockWaitMs: 0 });
    const out = await processor(fakeJob(`drill-${Date.now()}`, { trigger: 'manual', requestedBy: 'U1', label: newest.manifest.label, drill: true, report: { channel: CHANNEL } }));
    expect(out.outcome).toBe('failed');
    const line = env.fake.messages.filter((m) => m.channel === CHANNEL && m.text.includes('Restore drill')).at(-1);
    expect(line?.text).toContain(`<!subteam^${ONCALL}>`);
    expect(line?.text).toMatch(/✗ FAILED — folders: the set fails verification: vsexport\/ocrvs-.+\.tar\.gz: its files differ from those the manifest recorded/);
    expect(await readdir(folderParent)).toEqual(['vsexport']);
  }, 300_000);
});

describe('metrics never fail a backup', () => {
  let env: Env;
  const logs: string[] = [];
  beforeAll(async () => {
    const port = await closedPort();
    const logger = createLogger('info', new Writable({ write(chunk: Buffer, _e, done) { logs.push(chunk.toString()); done(); } }));
    env = await worldWith({ BACKUP_STORES: 'mongo', INFLUX_URL: `http://127.0.0.1:${port}`, DRILL_SCHEDULE: 'off' }, logger);
    const { MongoClient } = await import('mongodb');
    const c = new MongoClient(env.config.mongo.url);
    await c.db(env.config.mongo.databases[0] as string).collection('Patient').insertOne({ i: 1 });
    await c.close();
  }, 120_000);
  afterAll(async () => {
    const { MongoClient } = await import('mongodb');
    const c = new MongoClient(env.config.mongo.url);
    for (const db of env.config.mongo.databases) await c.db(db).dropDatabase().catch(() => undefined);
    await c.close();
    await Promise.allSettled([...env.backup.adapters.values()].map((a) => a.close()));
    await env?.close();
  });

  it('with InfluxDB unreachable the backup is still ok, and a log line says the figures were not written', async () => {
    const processor = createBackupProcessor({ backup: env.backup, redis: env.lockRedis, history: env.history, offsite: undefined, slack: env.slack, nextRun: async () => undefined, lockWaitMs: 0 });
    const out = await processor(fakeJob(`nightly-${Date.now()}`, { trigger: 'schedule', requestedBy: 'schedule' }));
    expect(out.outcome, JSON.stringify(out.problems)).toBe('ok');
    expect(logs.some((l) => l.includes('metrics not written (the run itself is unaffected)'))).toBe(true);
    expect(env.fake.messages.some((m) => m.text.includes('Restore drill'))).toBe(false);
  }, 180_000);
});
