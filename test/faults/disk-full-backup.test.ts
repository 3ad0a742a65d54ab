/**
 * Issue 11, fault matrix: the backup disk fills up during a backup. BACKUP_ROOT is a small tmpfs
 * (real filesystem, real ENOSPC); the data grows between two nights so that the free-space check
 * passes and the dump itself runs out of room. The run must fail clearly, the earlier set must stay
 * whole and verifiable, and no partial set may ever be listed as complete.
 * Real MongoDB and Redis from the harness.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { verifySet } from '../../src/backup/verify-set.ts';
import { createCore } from '../../src/core/core.ts';
import { runPipeline } from '../../src/pipeline/run-pipeline.ts';
import { servicesEnv } from '../helpers/env.ts';
import { fileSha } from '../helpers/offsite-set.ts';
import { makeEnv, seedMongo, type Env } from '../pipeline/helpers.ts';

const execFileP = promisify(execFile);
const envs: Env[] = [];
const mounts: string[] = [];
afterAll(async () => {
  await Promise.allSettled(envs.splice(0).map((e) => e.close()));
  for (const m of mounts) {
    await execFileP('umount', [m]).catch(() => execFileP('umount', ['-l', m]).catch(() => undefined));
    rmSync(m, { recursive: true, force: true });
  }
});

/** Documents of incompressible text, so the dump grows with them. */
async function grow(url: string, db: string, mib: number): Promise<void> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 10_000 });
  try {
    await client.connect();
    const docs = Array.from({ length: mib * 16 }, (_, i) => ({ i, scan: randomBytes(48 * 1024).toString('base64') }));
    for (let i = 0; i < docs.length; i += 16) await client.db(db).collection('Attachment').insertMany(docs.slice(i, i + 16));
  } finally {
    await client.close();
  }
}

describe('the backup disk fills up during a backup', () => {
  it('fails clearly; the earlier set stays whole; no partial set is listed as complete', async () => {
    const id = randomBytes(4).toString('hex');
    const root = join(servicesEnv()['BACKUP_ROOT'] ?? '/tmp', `fio-full-${id}`);
    mkdirSync(root, { recursive: true });
    await execFileP('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', root]);
    mounts.push(root);
    const e = await makeEnv({ BACKUP_ROOT: root });
    envs.push(e);
    const db = e.config.mongo.databases[0] as string;
    await seedMongo(e.config.mongo.url, db, 50);
    const core = createCore({ backup: e.backup, queues: e.queues, redis: e.lockRedis, history: e.history, offsite: undefined });
    const run = (label: string): ReturnType<typeof runPipeline> =>
      runPipeline(
        { backup: e.backup, redis: e.lockRedis, history: e.history, offsite: undefined, reporter: undefined, nextRun: async () => undefined, lockWaitMs: 1000, offsiteTimeoutMs: 60_000 },
        { runId: `full-${label}`, trigger: 'manual', requestedBy: 'U1', label },
      );

    const first = await run(`night1-${id}`);
    expect(first.outcome).toBe('ok');
    const earlier = Object.fromEntries(readdirSync(join(root, 'mongo')).map((f) => [f, fileSha(join(root, 'mongo', f))]));

    await grow(e.config.mongo.url, db, 6);
    const second = await run(`night2-${id}`);
    expect(second.outcome).not.toBe('ok');
    const said = [...second.problems, ...second.stores.map((s) => s.error ?? '')].join(' ');
    expect(said).toContain(`the backup volume at ${root} is full`);
    // No half-written dump is left beside the sets (it would be taken for part of one).
    expect(readdirSync(join(root, 'mongo')).filter((f) => f.includes(`night2-${id}`))).toEqual([]);

    // The earlier set: every file as it was, and it still verifies.
    for (const [f, sha] of Object.entries(earlier)) expect(fileSha(join(root, 'mongo', f)), f).toBe(sha);
    expect((await verifySet(e.backup, `night1-${id}`)).problems).toEqual([]);
    // The failed night is never offered as a complete set.
    const sets = await core.listSets();
    expect(sets.find((s) => s.label === `night1-${id}`)?.complete).toBe(true);
    expect(sets.filter((s) => s.label === `night2-${id}` && s.complete)).toEqual([]);
    const validation = await core.validateForRestore(`night2-${id}`);
    expect(validation.ok).toBe(false);
  }, 240_000);
});
