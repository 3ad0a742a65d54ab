/** `crvs-backup drill` as an operator runs it: the real binary against the harness's servers. */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { servicesEnv } from '../helpers/env.ts';

describe('crvs-backup drill', () => {
  const id = randomUUID().slice(0, 8);
  const db = `drcli_${id}`;
  let env: Record<string, string>;
  let root: string;
  let mongo: MongoClient;

  beforeAll(async () => {
    const base = servicesEnv();
    root = mkdtempSync(join(base['BACKUP_ROOT'] ?? '/tmp', 'drill-cli-'));
    env = { ...base, BACKUP_ROOT: root, BACKUP_STORES: 'mongo', MONGO_DATABASES: db, BACKUP_SERVER_HOST: '', METRICS: 'off', LOG_LEVEL: 'silent' };
    mongo = new MongoClient(base['MONGO_URL'] ?? '', { serverSelectionTimeoutMS: 10_000 });
    await mongo.connect();
    await mongo.db(db).collection('Patient').insertMany(Array.from({ length: 50 }, (_, i) => ({ i })));
    const r = await runCli(['backup', '--label', `cli-${id}`, '--wait-lock', '120'], env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }, 300_000);
  afterAll(async () => {
    await mongo?.db(db).dropDatabase().catch(() => undefined);
    await mongo?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('exits 0 and prints each store\'s restore time; history shows the drill', async () => {
    const r = await runCli(['drill', `cli-${id}`, '--wait-lock', '120'], env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^✓ mongo: restored into scratch and compared in \d+\.\d s \(50 records; compared with the content fingerprints recorded at backup\)$/m);
    expect(r.stdout).toContain(`Restore drill of cli-${id} passed`);
    const { databases } = await mongo.db('admin').admin().listDatabases({ nameOnly: true });
    expect(databases.map((d) => d.name)).not.toContain(`drill_${db}`);
    const h = await runCli(['history', '--limit', '50'], env);
    expect(h.stdout).toMatch(new RegExp(`drill +cli-${id} +✓ ok +✓ \\d+ s \\(mongo \\d+ s\\)`));
  }, 300_000);

  it('exits 2 for an unknown or malformed label, naming it', async () => {
    const r = await runCli(['drill', `nosuch-${id}`], env);
    expect(r.code).toBe(2);
    expect(r.stderr + r.stdout).toContain(`No backup set named "nosuch-${id}"`);
    expect((await runCli(['drill', '../etc'], env)).code).toBe(2);
  }, 120_000);
});
