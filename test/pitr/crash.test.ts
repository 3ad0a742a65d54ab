/**
 * A crash in the middle of a restore to a moment: the worker running it and the PostgreSQL server
 * are both SIGKILLed while the replay phase runs; a new worker resumes at that phase (the data
 * folder is not moved or copied again) and ends with the same rows as an uninterrupted restore.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { createCommandRedis } from '../../src/queue/queues.ts';
import { pitrPhases } from '../../src/restore/pitr-step.ts';
import { servicesEnv } from '../helpers/env.ts';
import { testConfig } from '../helpers/env.ts';
import { startPrivateCluster, type PrivateCluster } from './cluster.ts';
import { tellStory, until, type Story } from './scenario.ts';

const WORKER = join(import.meta.dirname, 'pitr-worker.ts');
let cluster: PrivateCluster;
let config: Config;
let redis: Redis;
let story: Story;
let env: Record<string, string>;
const children: ChildProcess[] = [];

beforeAll(async () => {
  cluster = await startPrivateCluster('crash');
  const vars = cluster.env();
  config = testConfig(vars);
  env = { ...servicesEnv(), ...vars, BACKUP_ROOT: config.backupRoot, LOG_LEVEL: 'silent' };
  redis = createCommandRedis(config.redisUrl);
  story = await tellStory(cluster, config, { bulkRows: 300_000 });
  await story.service.stop();
}, 400_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await story?.service.stop().catch(() => undefined);
  redis?.disconnect();
  await cluster?.remove();
});

function worker(request: string): { child: ChildProcess; exited: Promise<{ code: number | null; out: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, '--request', request, '--target', story.target.toISOString()], { env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/root', ...env }, stdio: ['ignore', 'pipe', 'pipe'], cwd: join(import.meta.dirname, '../..') });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; out: string }>((resolve) => child.once('exit', (code) => resolve({ code, out })));
  return { child, exited };
}

describe('a restore to a moment interrupted mid-replay', () => {
  it('resumes after the worker and the server were killed, and ends with the same rows', async () => {
    const request = `pitr-crash-${Date.now().toString(36)}`;
    const first = worker(request);
    let finishedFirst = false;
    void first.exited.then(() => (finishedFirst = true));
    await until('the replay phase to start', 300_000, async () => finishedFirst || (await pitrPhases(redis, request)).get('replay') === 'started', 50);
    expect(finishedFirst).toBe(false);
    first.child.kill('SIGKILL');
    cluster.kill();
    await first.exited;
    const phases = await pitrPhases(redis, request);
    expect(phases.get('swap')).toBe('done');
    expect(phases.get('replay')).toBe('started');

    const second = worker(request);
    const r = await Promise.race([second.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the resumed worker did not finish within 300 s')), 300_000))]);
    expect(r.out).toMatch(/^done /m);
    expect(r.code).toBe(0);
    // Resumed at the replay: the data folder was not moved aside or swapped again.
    expect(r.out).not.toMatch(/moving the data folder aside/);
    expect((await pitrPhases(redis, request)).get('replay')).toBe('done');
    const ids = (await cluster.query<{ id: number }>('pitrdb', 'SELECT id FROM app.rows ORDER BY id')).map((x) => x.id);
    expect(ids).toEqual([1]);
    const [bulk] = await cluster.query<{ n: string }>('pitrdb', 'SELECT count(*) AS n FROM app.bulk');
    expect(Number(bulk?.n)).toBe(300_000);
    await cluster.query('pitrdb', "INSERT INTO app.rows (id, note) VALUES (3, 'after')");
    expect(existsSync(join(`${cluster.data}.before-pitr-${request.replace(/[^A-Za-z0-9]/g, '').slice(-12)}`, 'PG_VERSION'))).toBe(true);
  }, 700_000);
});
