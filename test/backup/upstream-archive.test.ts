/**
 * OpenCRVS's own encrypted archives, made with the real `tar` and `openssl enc -aes-256-cbc -salt
 * -pbkdf2` commands (the scripts' and CronJobs' cipher, default iterations), adopted with their
 * passphrase by `crvs-backup adopt --archive … --passphrase-file …`, then restored by the normal
 * restore: MongoDB (the real server) holds the archive's data again. Both layouts: the Swarm
 * offsite `<LABEL>.tar.gz.enc` and the Kubernetes per-store `mongo_backup_<date>.tar.gz.enc`. A
 * wrong passphrase leaves nothing in the backup root.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { servicesEnv, testConfig } from '../helpers/env.ts';
import { dropMongo, mutateMongo, seedMongo, snapshotMongo, testDatabases } from '../restore/helpers.ts';
import { mongoLikeScripts } from './legacy-set.ts';

const execFileP = promisify(execFile);
const cleanups: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/** Seeded databases, their dumps as the scripts write them (under `scratch`), and a passphrase file. */
async function fixture(label: string): Promise<{ dbs: string[]; scratch: string; passFile: string; env: Record<string, string>; root: string }> {
  const dbs = testDatabases();
  const base = servicesEnv();
  const scratch = mkdtempSync(join(base['BACKUP_ROOT'] as string, 'upstream-src-'));
  const root = mkdtempSync(join(base['BACKUP_ROOT'] as string, 'upstream-root-'));
  const scripts = testConfig({ BACKUP_ROOT: scratch, BACKUP_STORES: 'mongo', MONGO_DATABASES: dbs.join(',') });
  await seedMongo(scripts.mongo.url, dbs);
  cleanups.push(() => dropMongo(scripts.mongo.url, dbs));
  await mongoLikeScripts(scripts, label);
  const passFile = join(scratch, 'passphrase');
  writeFileSync(passFile, `${randomBytes(12).toString('base64')}\n`, { mode: 0o600 });
  const env = { ...base, BACKUP_ROOT: root, BACKUP_STORES: 'mongo', MONGO_DATABASES: dbs.join(','), LOG_LEVEL: 'silent' };
  return { dbs, scratch, passFile, env, root };
}

/** `tar czf` of `what` (relative to `dir`), then `openssl enc -aes-256-cbc -salt -pbkdf2` as upstream does. */
async function encryptLikeUpstream(dir: string, what: string[], out: string, passFile: string): Promise<void> {
  const plain = `${out}.plain.tar.gz`;
  await execFileP('tar', ['czf', plain, '-C', dir, ...what]);
  await execFileP('openssl', ['enc', '-aes-256-cbc', '-salt', '-pbkdf2', '-in', plain, '-out', out, '-pass', `file:${passFile}`]);
}

async function adoptAndRestore(label: string, archive: string, f: Awaited<ReturnType<typeof fixture>>): Promise<void> {
  const before = await snapshotMongo(testConfig(f.env).mongo.url, f.dbs);
  const adopted = await runCli(['adopt', label, '--archive', archive, '--passphrase-file', f.passFile], f.env);
  expect(adopted.stderr).toBe('');
  expect(adopted.stdout).toContain(`✓ ${label} verified`);
  expect(adopted.code).toBe(0);
  await mutateMongo(testConfig(f.env).mongo.url, f.dbs);
  expect((await snapshotMongo(testConfig(f.env).mongo.url, f.dbs)).data).not.toEqual(before.data);
  const restored = await runCli(['restore', label, '--yes'], f.env);
  expect(restored.stderr).toBe('');
  expect(restored.code).toBe(0);
  expect((await snapshotMongo(testConfig(f.env).mongo.url, f.dbs)).data).toEqual(before.data);
}

describe("OpenCRVS's encrypted archives (openssl enc -aes-256-cbc -salt -pbkdf2)", () => {
  it('adopts the Swarm offsite file <LABEL>.tar.gz.enc with its passphrase and restores it', async () => {
    const label = `2026-10-${String(10 + (randomBytes(1)[0] as number) % 18)}`;
    const f = await fixture(label);
    const archive = join(f.scratch, `${label}.tar.gz.enc`);
    await encryptLikeUpstream(f.scratch, ['mongo'], archive, f.passFile);
    await adoptAndRestore(label, archive, f);
  });

  it('adopts the Kubernetes per-store file mongo_backup_<date>.tar.gz.enc and restores it', async () => {
    const label = `2026-09-${String(10 + (randomBytes(1)[0] as number) % 18)}`;
    const f = await fixture(label);
    const archive = join(f.scratch, `mongo_backup_${label}.tar.gz.enc`);
    // The CronJob's archive holds that store's files only, at its top level.
    await encryptLikeUpstream(join(f.scratch, 'mongo'), readdirSync(join(f.scratch, 'mongo')), archive, f.passFile);
    await adoptAndRestore(label, archive, f);
  });

  it('refuses a wrong passphrase and leaves nothing in the backup root', async () => {
    const label = `2026-08-${String(10 + (randomBytes(1)[0] as number) % 18)}`;
    const f = await fixture(label);
    const archive = join(f.scratch, `${label}.tar.gz.enc`);
    await encryptLikeUpstream(f.scratch, ['mongo'], archive, f.passFile);
    const wrong = join(f.scratch, 'wrong');
    writeFileSync(wrong, 'not the passphrase\n', { mode: 0o600 });
    const r = await runCli(['adopt', label, '--archive', archive, '--passphrase-file', wrong], f.env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/wrong passphrase/);
    expect(r.stderr).not.toContain('not the passphrase');
    expect(existsSync(join(f.root, 'mongo'))).toBe(false);
    expect(readdirSync(f.root).filter((n) => n.startsWith('.upstream-'))).toEqual([]);
  });
});
