/**
 * The restore job on the harness's REAL Docker Swarm (no stand-in): quiesce before the first
 * destructive step, the runbook (stack down, engine restart, redeploy) and a migration service that
 * really applies migrations; and the replicas put back when the restore fails before the redeploy.
 * Real Redis, MongoDB (FerretDB), PostgreSQL, the harness sshd as the manager node.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCheckpoint } from '../../src/restore/checkpoint.ts';
import { RestoreFailedError, runRestoreJob } from '../../src/restore/restore-job.ts';
import type { StoreAdapter } from '../../src/stores/types.ts';
import { servicesEnv, testConfig } from '../helpers/env.ts';
import { deployStack, engineUptimeSeconds, migrationControl, removeStack, runningContainers, stackName, until } from '../helpers/swarm.ts';
import { dropMongo, managerExec, recordingPoster, safetySets, snapshotMongo, testDatabases } from './helpers.ts';
import { backupDeps, prepareSet, swarmConfig, type Cleanups } from './swarm-job.ts';

const APPS = ['auth', 'client', 'events', 'gateway', 'workflow'];
const STORES = ['elasticsearch', 'influxdb', 'minio', 'mongo1', 'postgres'];

let redis: Redis;
const cleanups: Cleanups = [];

beforeAll(() => {
  redis = new Redis(testConfig().redisUrl, { maxRetriesPerRequest: null });
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

afterAll(async () => {
  await redis?.quit();
});

/** A stack of the fixture, deployed, its first migration run Complete. */
async function liveStack(dbs: string[]): Promise<string> {
  const stack = stackName();
  migrationControl(stack, { databases: dbs, migrations: 3, delayMs: 100 });
  cleanups.push(() => removeStack(stack));
  await deployStack(stack);
  return stack;
}

async function pgMigrations(): Promise<number> {
  const env = servicesEnv();
  const url = new URL(env['POSTGRES_URL'] as string);
  url.pathname = '/events';
  if (env['POSTGRES_PASSWORD']) url.password = env['POSTGRES_PASSWORD'];
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const res = await client.query<{ n: string }>("SELECT count(*) AS n FROM app.pgmigrations WHERE name LIKE '%fixture-migration.js'");
    return Number(res.rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

describe('restore job on a real Docker Swarm', () => {
  it('stops OpenCRVS before the first restore, then stack down, Docker restart, redeploy, migrations Complete', async () => {
    const dbs = testDatabases();
    const stack = await liveStack(dbs);
    const cfg = swarmConfig(dbs, stack);
    const { req, before } = await prepareSet(cfg, dbs, cleanups);
    const real = backupDeps(cfg, cleanups);
    const mongo = real.adapters.get('mongo') as StoreAdapter;
    let duringRestore: Record<string, number> = {};
    const watching: StoreAdapter = {
      ...mongo,
      async restore(artifacts, ctx) {
        duringRestore = await runningContainers(stack);
        return mongo.restore(artifacts, ctx);
      },
    };
    const poster = recordingPoster();
    const started = Date.now();
    const result = await runRestoreJob({ backup: { ...real, adapters: new Map([['mongo', watching]]) }, redis, poster, manager: managerExec(cfg), redeployPollMs: 300, lockWaitMs: 5000 }, req);
    expect(result.outcome).toBe('done');

    // While MongoDB was being replaced, OpenCRVS's application services ran no container; the stores did.
    for (const s of APPS) expect(duringRestore[s] ?? 0).toBe(0);
    for (const s of STORES) expect(duringRestore[s]).toBe(1);
    const meta = await createCheckpoint(redis, req.requestId).meta();
    expect(meta.quiesced?.map((s) => `${s.name}=${s.replicas}`)).toEqual(APPS.map((s) => `${stack}_${s}=1`));
    expect(poster.all()).toContain(`OpenCRVS is stopped for the restore: 5 application service(s) of \`${stack}\` scaled to 0`);

    // The data of the set; the real migration service applied its 3 migrations on top (and in PostgreSQL).
    const after = await snapshotMongo(cfg.mongo.url, dbs);
    expect(after.data).toEqual(before.data);
    for (const db of dbs) expect(after.changelog[db]).toBe((before.changelog[db] ?? 0) + 3);
    expect(await pgMigrations()).toBeGreaterThanOrEqual(3);

    // Docker really restarted during the job, and the redeployed stack runs every service again.
    expect(await engineUptimeSeconds()).toBeLessThanOrEqual((Date.now() - started) / 1000);
    await until('every service of the stack running', 30_000, async () => Object.keys(await runningContainers(stack)).length === 10);
    const migration = poster.messages.filter((m) => m.text.startsWith('Migrations'));
    expect(migration).toHaveLength(1);
    expect(migration[0]?.text).toMatch(/^Migrations: Done/);
    const summary = poster.messages.at(-1)?.text ?? '';
    expect(summary).toMatch(/^Done: restore of set-/);
    expect(summary).toContain('Stop OpenCRVS (scale its services to 0)');
    expect(summary).toMatch(/Migrations applied: .*\(\+3\)/);
    expect(safetySets(cfg.backupRoot)).toHaveLength(1);
  });

  it('puts the replicas back and says so when the restore fails before the redeploy', async () => {
    const dbs = testDatabases();
    const stack = await liveStack(dbs);
    const cfg = swarmConfig(dbs, stack);
    const { req } = await prepareSet(cfg, dbs, cleanups);
    const real = backupDeps(cfg, cleanups);
    const mongo = real.adapters.get('mongo') as StoreAdapter;
    // The store is half replaced when the restore fails (a full disk, a crashed server).
    const failing: StoreAdapter = {
      ...mongo,
      async restore() {
        await dropMongo(cfg.mongo.url, [dbs[0] as string]);
        throw new Error('the MongoDB server went away');
      },
    };
    const uptimeBefore = await engineUptimeSeconds();
    const started = Date.now();
    const poster = recordingPoster();
    const err = await runRestoreJob({ backup: { ...real, adapters: new Map([['mongo', failing]]) }, redis, poster, manager: managerExec(cfg), redeployPollMs: 300, lockWaitMs: 5000 }, req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestoreFailedError);
    const report = poster.messages.at(-1)?.text ?? '';
    expect(report).toContain('stopped at step "Restore mongo"');
    expect(report).toContain(`OpenCRVS's application services were started again with their replica counts: ${APPS.map((s) => `${stack}_${s} ×1`).join(', ')}`);
    // They really run again; the stack was not taken down and Docker was not restarted.
    const running = await runningContainers(stack);
    for (const s of [...APPS, ...STORES]) expect(running[s]).toBe(1);
    expect(await engineUptimeSeconds()).toBeGreaterThanOrEqual(uptimeBefore + Math.floor((Date.now() - started) / 1000) - 1);
    expect((await createCheckpoint(redis, req.requestId).meta()).putBack).toBe(true);
  });
  it('stops OpenCRVS before the safety backup, and starts it again when that backup fails: nothing touched', async () => {
    const dbs = testDatabases();
    const stack = await liveStack(dbs);
    const cfg = swarmConfig(dbs, stack);
    const { req } = await prepareSet(cfg, dbs, cleanups);
    const changed = await snapshotMongo(cfg.mongo.url, dbs);
    const real = backupDeps(cfg, cleanups);
    const mongo = real.adapters.get('mongo') as StoreAdapter;
    // What runs while the safety backup is taken, and then a safety backup that fails (a full disk).
    let runningDuringBackup: Record<string, number> | undefined;
    const failing: StoreAdapter = {
      ...mongo,
      async backup(ctx) {
        if (!ctx.label.startsWith('pre-restore-')) return mongo.backup(ctx);
        runningDuringBackup = await runningContainers(stack);
        throw new Error('no space left on device');
      },
    };
    const poster = recordingPoster();
    const err = await runRestoreJob({ backup: { ...real, adapters: new Map([['mongo', failing]]) }, redis, poster, manager: managerExec(cfg), redeployPollMs: 300, lockWaitMs: 5000 }, req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RestoreFailedError);
    expect((err as RestoreFailedError).refused).toBe(true);
    // Nothing of OpenCRVS wrote while the backup that would undo the restore was taken; the stores ran.
    for (const s of APPS) expect(runningDuringBackup?.[s] ?? 0, s).toBe(0);
    for (const s of STORES) expect(runningDuringBackup?.[s], s).toBe(1);
    const report = poster.messages.at(-1)?.text ?? '';
    expect(report).toContain('refused at step "Safety backup": nothing was touched');
    expect(report).toContain(`OpenCRVS's application services were started again with their replica counts: ${APPS.map((s) => `${stack}_${s} ×1`).join(', ')}`);
    const running = await runningContainers(stack);
    for (const s of [...APPS, ...STORES]) expect(running[s], s).toBe(1);
    expect((await snapshotMongo(cfg.mongo.url, dbs)).data).toEqual(changed.data);
  });
});
