/**
 * The restore drill on the harness's real MongoDB (FerretDB) and Redis: a real set is restored into
 * scratch databases beside the live ones, compared by content, and removed; live data is untouched.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File, fileSize } from '../../src/backup/checksum.ts';
import { readManifest, writeManifest } from '../../src/backup/manifest.ts';
import { dumpDatabase } from '../../src/stores/mongo/dump.ts';
import { backupSet, liveFingerprints, makeDrillEnv, scratchLeft, seed, type DrillEnv } from './helpers.ts';

describe('restore drill (MongoDB)', () => {
  let env: DrillEnv;
  let label: string;

  beforeAll(async () => {
    env = await makeDrillEnv();
    await seed(env, 300);
    label = await backupSet(env, `drill-${env.id}`);
  }, 180_000);
  afterAll(async () => {
    await env?.close();
  });

  it('passes on a sound set, leaves live data as it was and no scratch behind, and is in the history', async () => {
    const before = await liveFingerprints(env);
    const r = await env.drill(label);
    expect(r.outcome, JSON.stringify(r)).toBe('ok');
    expect(r.stores.map((s) => [s.store, s.ok, s.compared])).toEqual([['mongo', true, 'manifest']]);
    expect(r.stores[0]?.records).toBe(2 * (300 + 150));
    expect(await liveFingerprints(env)).toEqual(before);
    expect(await scratchLeft(env)).toEqual([]);
    const [entry] = await env.history.list(1);
    expect(entry?.kind).toBe('drill');
    expect(entry?.outcome).toBe('ok');
    expect(entry?.summary).toMatch(/^✓ .*\(mongo /);
  }, 180_000);

  it('defaults to the newest complete set', async () => {
    const r = await env.drill();
    expect(r.label).toBe(label);
    expect(r.outcome).toBe('ok');
  }, 180_000);

  it('removes the scratch a crashed drill left, and never a database it did not make', async () => {
    const [db] = env.dbs;
    await env.mongo.db(`drill_${db}`).collection('Patient').insertOne({ left: 'by a crash' });
    await env.mongo.db(`drill_other_${env.id}`).collection('Keep').insertOne({ mine: true });
    const r = await env.drill(label);
    expect(r.outcome).toBe('ok');
    expect(r.leftoversRemoved).toEqual([`mongo drill_${db}`]);
    expect(await env.mongo.db(`drill_other_${env.id}`).collection('Keep').countDocuments()).toBe(1);
    await env.mongo.db(`drill_other_${env.id}`).dropDatabase();
    expect(await scratchLeft(env)).toEqual([]);
  }, 180_000);

  it('fails naming the store and the first difference when one document of the archive differs', async () => {
    // A second set whose archive is a sound, checksummed dump in which one document differs from
    // what the backup recorded (as if the file had been rewritten between backup and restore).
    const bad = await backupSet(env, `drill-bad-${env.id}`);
    const [db] = env.dbs as [string];
    await env.mongo.db(db).collection('Patient').updateOne({ i: 7 }, { $set: { name: 'changed' } });
    const read = await readManifest(env.config.backupRoot, bad);
    if (!read) throw new Error('no manifest');
    const artifact = read.manifest.artifacts.find((a) => a.meta?.['database'] === db);
    if (!artifact) throw new Error('no artifact');
    const file = join(env.config.backupRoot, artifact.path);
    await dumpDatabase(env.mongo, db, file, { serverVersion: '7.0', toolVersion: 'test', signal: AbortSignal.timeout(60_000) });
    artifact.sha256 = (await sha256File(file)).sha256;
    artifact.bytes = (await fileSize(file)) ?? 0;
    await writeManifest(env.config.backupRoot, read.manifest);
    await env.mongo.db(db).collection('Patient').updateOne({ i: 7 }, { $set: { name: 'p7' } });

    const before = await liveFingerprints(env);
    const r = await env.drill(bad);
    expect(r.outcome).toBe('failed');
    const failed = r.stores.find((s) => !s.ok);
    expect(failed?.store).toBe('mongo');
    expect(failed?.difference).toBe(`${db}.Patient: same number of records (300) but different content`);
    const [entry] = await env.history.list(1);
    expect(entry?.outcome).toBe('failed');
    expect(entry?.summary).toContain(`mongo: ${db}.Patient`);
    expect(await liveFingerprints(env)).toEqual(before);
    expect(await scratchLeft(env)).toEqual([]);
  }, 180_000);

  it('fails naming the store when an archive no longer matches its checksum', async () => {
    const read = await readManifest(env.config.backupRoot, label);
    const artifact = read?.manifest.artifacts[1];
    if (!artifact) throw new Error('no artifact');
    const { appendFile } = await import('node:fs/promises');
    const copy = `${env.config.backupRoot}/copy-${env.id}`;
    const { copyFile } = await import('node:fs/promises');
    const file = join(env.config.backupRoot, artifact.path);
    await copyFile(file, copy);
    try {
      await appendFile(file, 'x');
      const r = await env.drill(label);
      expect(r.outcome).toBe('failed');
      expect(r.stores[0]?.store).toBe('mongo');
      expect(r.stores[0]?.difference).toContain(artifact.path);
      expect(await scratchLeft(env)).toEqual([]);
    } finally {
      await copyFile(copy, file);
    }
  }, 180_000);

  it('refuses to start, with the reason, when the scratch would not fit', async () => {
    const tight = await makeDrillEnv({ BACKUP_ROOT: env.config.backupRoot, DRILL_SPACE_FACTOR: '1000000000000' }, () => env.dbs);
    try {
      const r = await tight.drill(label);
      expect(r.outcome).toBe('skipped');
      expect(r.reason).toMatch(/^Restore drill not started: not enough free space for the mongo scratch copy on .+: needs about .+, .+ free\.$/);
      expect(r.stores).toEqual([]);
    } finally {
      await tight.mongo.close();
      tight.redis.disconnect();
      tight.lockRedis.disconnect();
    }
  }, 120_000);
});

describe('scratch-name guard on a real server', () => {
  it('refuses a drill whose scratch database would be a configured live one, touching neither', async () => {
    const env = await makeDrillEnv({}, (id) => [`x_${id}`, `drill_x_${id}`]);
    try {
      await seed(env, 20);
      const label = await backupSet(env, `guard-${env.id}`);
      const before = await liveFingerprints(env);
      const r = await env.drill(label);
      expect(r.outcome).toBe('failed');
      expect(r.reason).toContain(`"drill_x_${env.id}" is also a configured live name`);
      expect(await liveFingerprints(env)).toEqual(before);
    } finally {
      await env.close();
    }
  }, 180_000);
});
