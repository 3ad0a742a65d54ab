/**
 * Restore of PostgreSQL to a moment, on a private PostgreSQL 17 cluster: rows committed at known
 * moments, the nightly base backup, the WAL archive; refusals (moment outside the range, a damaged
 * WAL segment, the lock lost) leave the server untouched; a restore to a moment between two inserts
 * brings back exactly the rows committed before it, and the server takes writes after.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { acquireLock, LOCK_KEY, type HeldLock } from '../../src/lock.ts';
import { createLogger } from '../../src/log.ts';
import { planPitr } from '../../src/pitr/range.ts';
import { pitrStatus, pitrText } from '../../src/pitr/status.ts';
import { restoreAtCommand } from '../../src/cli/commands/restore-at.ts';
import { createRuntime } from '../../src/runtime.ts';
import { currentStream } from '../../src/pitr/wal.ts';
import { createCommandRedis } from '../../src/queue/queues.ts';
import { pitrDirs, runPitrStep } from '../../src/restore/pitr-step.ts';
import { testConfig } from '../helpers/env.ts';
import { startPrivateCluster, type PrivateCluster } from './cluster.ts';
import { postmasterPid, sealedFiles, tellStory, type Story } from './scenario.ts';

let cluster: PrivateCluster;
let config: Config;
let redis: Redis;
let story: Story;
const logger = createLogger('silent');

beforeAll(async () => {
  cluster = await startPrivateCluster('moment');
  config = testConfig(cluster.env());
  redis = createCommandRedis(config.redisUrl);
  story = await tellStory(cluster, config);
}, 400_000);

afterAll(async () => {
  await story?.service.stop().catch(() => undefined);
  redis?.disconnect();
  await cluster?.remove();
});

async function ids(): Promise<number[]> {
  return (await cluster.query<{ id: number }>('pitrdb', 'SELECT id FROM app.rows ORDER BY id')).map((r) => r.id);
}

async function withLock<T>(fn: (lock: HeldLock) => Promise<T>): Promise<T> {
  const lock = await acquireLock(redis, 'pitr test', { waitMs: 180_000 });
  try {
    return await fn(lock);
  } finally {
    await lock.release();
  }
}

function requestId(name: string): string {
  return `pitr-${name}-${Date.now().toString(36)}`;
}

/** What an operator would see of the server: the same process, the same rows, nothing moved. */
async function expectUntouched(pidBefore: number, id: string): Promise<void> {
  expect(await postmasterPid(cluster)).toBe(pidBefore);
  expect(await ids()).toEqual([1, 2]);
  const dirs = pitrDirs(cluster.data, id);
  expect(existsSync(dirs.aside)).toBe(false);
  expect(existsSync(dirs.staging)).toBe(false);
}

describe('restore of PostgreSQL to a moment', () => {
  it('refuses a moment outside the possible range, naming the range', async () => {
    const pid = await postmasterPid(cluster);
    const early = new Date(story.t1.getTime() - 3600_000);
    await expect(planPitr(config.backupRoot, early)).rejects.toThrow(/cannot be restored to .*possible: \d{4}-\d\d-\d\dT.* → /);
    const id = requestId('early');
    await withLock((lock) => expect(runPitrStep({ config, logger, redis, lock, pollMs: 500 }, id, early)).rejects.toThrow(/possible:/));
    const late = new Date(Date.now() + 3600_000);
    await withLock((lock) => expect(runPitrStep({ config, logger, redis, lock, pollMs: 500 }, requestId('late'), late)).rejects.toThrow(/possible:/));
    await expectUntouched(pid, id);
  });

  it('refuses when a needed WAL segment is damaged, naming it', async () => {
    const pid = await postmasterPid(cluster);
    const sealed = (await sealedFiles(config)).filter((n) => /^[0-9A-F]{24}$/.test(n)).sort();
    const victim = sealed.at(-1);
    expect(victim).toBeDefined();
    const file = join(config.backupRoot, 'postgres-wal', await currentStream(config.backupRoot), victim as string);
    const good = await readFile(file);
    const bad = Buffer.from(good);
    bad[8192 + 100] = (bad[8192 + 100] ?? 0) ^ 0xff;
    await writeFile(file, bad);
    const id = requestId('damaged');
    try {
      await withLock((lock) => expect(runPitrStep({ config, logger, redis, lock, pollMs: 500 }, id, story.target)).rejects.toThrow(new RegExp(`${victim}.*damaged`)));
    } finally {
      await writeFile(file, good);
    }
    await expectUntouched(pid, id);
  });

  it('stops before the first change when the operations lock is no longer held', async () => {
    const pid = await postmasterPid(cluster);
    const id = requestId('lock');
    await withLock(async (lock) => {
      // Another holder took the lock (ours expired while the worker was stalled).
      await redis.set(LOCK_KEY, JSON.stringify({ holder: 'someone else', since: new Date().toISOString(), token: 'not-ours' }), 'PX', 60_000);
      await expect(runPitrStep({ config, logger, redis, lock, pollMs: 500 }, id, story.target)).rejects.toThrow(/lock is no longer held/);
      await redis.del(LOCK_KEY);
    });
    await expectUntouched(pid, id);
  });

  it('crvs-backup restore --at: outside the range refused naming it; without --yes the plan is shown and nothing changes', async () => {
    const pid = await postmasterPid(cluster);
    const rt = createRuntime(config, logger);
    try {
      await expect(restoreAtCommand(rt, '', { at: '2020-01-01T00:00Z', yes: true })).rejects.toThrow(/cannot be restored to 2020-01-01 00:00:00 \(UTC\): possible: /);
      const err = await restoreAtCommand(rt, '', { at: story.target.toISOString().slice(0, 19) + 'Z' }).catch((e: unknown) => e as Error);
      expect(String(err)).toContain(`base backup of ${story.label}`);
      expect(String(err)).toContain(`the nightly set ${story.label}`);
      expect(String(err)).toMatch(/Refusing without --yes/);
    } finally {
      await rt.close();
    }
    expect(await postmasterPid(cluster)).toBe(pid);
    expect(await ids()).toEqual([1, 2]);
  });

  it('the daily report line: base backup in the set, the archive lag, WAL written in the last 24 h', async () => {
    const status = await pitrStatus(config, story.label);
    expect(status.baseInSet).toBe(true);
    expect(status.lagMs).toBeDefined();
    expect(status.walBytes24h).toBeGreaterThanOrEqual(16 * 1024 * 1024);
    const line = pitrText(status, (n) => `${Math.round(n / 1024 / 1024)} MB`);
    expect(line).toMatch(/base backup in this set · archive lag \d+\.\d min · WAL written last 24 h: \d+ MB/);
    expect((await pitrStatus(config, 'no-such-set')).baseInSet).toBe(false);
  });

  it('brings back exactly the rows committed before the moment, and the server takes writes after', async () => {
    expect(await ids()).toEqual([1, 2]);
    // The archiver would follow the server down and back; the restore job stops it first.
    await story.service.stop();
    const id = requestId('exact');
    const notes: string[] = [];
    const result = await withLock((lock) => runPitrStep({ config, logger, redis, lock, pollMs: 500, progress: (m) => notes.push(m) }, id, story.target));
    expect(result.plan.base.label).toBe(story.label);
    expect(await ids()).toEqual([1]);
    await cluster.query('pitrdb', "INSERT INTO app.rows (id, note) VALUES (3, 'after the restore')");
    expect(await ids()).toEqual([1, 3]);
    // The old data folder is kept beside, and the recovery settings are gone from the server.
    expect(existsSync(join(result.asideDir, 'PG_VERSION'))).toBe(true);
    const [setting] = await cluster.query<{ restore_command: string }>('postgres', 'SHOW restore_command');
    expect(setting?.restore_command).toBe('');
    expect(notes.some((n) => n.includes('accepts writes'))).toBe(true);
  });
});
