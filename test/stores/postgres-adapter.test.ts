/**
 * The PostgreSQL store on the harness's real PostgreSQL 17, with the real pg_dump / pg_restore:
 * interoperability both ways, v1.9's restore of schema `app`, roles, verification that reads every
 * row, refusals before anything is dropped, and a set without PostgreSQL leaving it alone.
 */
import { copyFile, mkdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adoptLegacySet } from '../../src/backup/adopt.ts';
import { readManifest } from '../../src/backup/manifest.ts';
import { restoreSet } from '../../src/backup/restore-set.ts';
import { runBackup } from '../../src/backup/run-backup.ts';
import { verifySet } from '../../src/backup/verify-set.ts';
import type { Config } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { createRuntime, type Runtime } from '../../src/runtime.ts';
import type { Progress } from '../../src/stores/types.ts';
import { seedPostgres } from '../../scripts/seed/postgres.ts';
import { SEEDERS } from '../../scripts/seed/index.ts';
import { postgresFingerprint } from '../contract/pg-fingerprint.ts';
import { FINGERPRINTS } from '../contract/fingerprints.ts';
import { testConfig } from '../helpers/env.ts';
import { pgQuery, pgTool, uniqueDb } from '../helpers/postgres.ts';

const runtimes: Runtime[] = [];
afterAll(async () => {
  await Promise.all(runtimes.map((r) => r.close()));
  // The databases each test made under its own name.
  const config = testConfig();
  const made = await pgQuery<{ name: string }>(config, 'postgres', "SELECT datname AS name FROM pg_database WHERE datname ~ '^(events|copy)_[a-z0-9]+_[a-z0-9]+$'");
  for (const { name } of made) await pgQuery(config, 'postgres', `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
});

function setup(overrides: Record<string, string> = {}): { config: Config; rt: Runtime } {
  const config = testConfig({ OPENCRVS_VERSION: 'v1.9', BACKUP_STORES: 'postgres', POSTGRES_DATABASES: uniqueDb('events'), ...overrides });
  const rt = createRuntime(config, createLogger('silent'));
  runtimes.push(rt);
  return { config, rt };
}

const db = (config: Config): string => config.postgres.databases[0] as string;

describe('postgres store', () => {
  it('restores a dump made by the real pg_dump -Fc, adopted like a file of the old scripts', async () => {
    const { config, rt } = setup({ POSTGRES_RESTORE_SCHEMAS: 'all' });
    await seedPostgres(config, { scale: 1, seed: 7 });
    const before = await postgresFingerprint(config);
    const label = '2026-11-20';
    await mkdir(join(config.backupRoot, 'postgres'), { recursive: true });
    // What OpenCRVS v1.9's backup.sh writes: `pg_dump -F c -d events > postgres/events-<LABEL>.dump`.
    await pgTool(config, 'pg_dump', ['-F', 'c', '-d', db(config), '-f', join(config.backupRoot, 'postgres', `${db(config)}-${label}.dump`)]);

    const adopted = await adoptLegacySet(rt.deps, label);
    expect(adopted.manifest.stores).toEqual([expect.objectContaining({ store: 'postgres', ok: true })]);
    const counts = adopted.manifest.artifacts[0]?.counts ?? {};
    expect(counts[`${db(config)}.app.events`]).toBe(2000);
    expect(counts[`${db(config)}.app.pgmigrations`]).toBe(24);
    expect((await verifySet(rt.deps, label)).problems).toEqual([]);

    await seedPostgres(config, { scale: 1, seed: 99 });
    expect(await postgresFingerprint(config)).not.toBe(before);
    await restoreSet(rt.deps, label);
    expect(await postgresFingerprint(config)).toBe(before);
  });

  it("writes a dump the real pg_restore restores into another database, equal to the original", async () => {
    const { config, rt } = setup();
    await seedPostgres(config, { scale: 1, seed: 8 });
    const outcome = await runBackup(rt.deps, { requestedBy: 'test' });
    expect(outcome.ok).toBe(true);
    const dump = outcome.manifest.artifacts.find((a) => a.path.endsWith('.dump'));
    expect(dump?.path).toBe(`postgres/${db(config)}-${outcome.manifest.label}.dump`);

    const copy = uniqueDb('copy');
    await pgQuery(config, 'postgres', `CREATE DATABASE ${copy}`);
    await pgTool(config, 'pg_restore', ['--exit-on-error', '-d', copy, join(config.backupRoot, dump?.path ?? '')]);
    const copyConfig = testConfig({ OPENCRVS_VERSION: 'v1.9', POSTGRES_DATABASES: copy });
    expect(await postgresFingerprint(copyConfig)).toBe(await postgresFingerprint(config));
    // The set's counts are the rows of the snapshot pg_dump read.
    const rows = await pgQuery<{ n: string }>(copyConfig, copy, 'SELECT count(*) AS n FROM app.event_actions');
    expect(dump?.counts[`${db(config)}.app.event_actions`]).toBe(Number(rows[0]?.n));
  });

  it('restores schema app by default, as OpenCRVS v1.9 does, owner and grants included, and says what it left out', async () => {
    const { config, rt } = setup();
    await seedPostgres(config, { scale: 1, seed: 9 });
    const appBefore = await postgresFingerprint(config, ['app']);
    const outcome = await runBackup(rt.deps, { requestedBy: 'test' });
    expect(outcome.ok).toBe(true);
    await seedPostgres(config, { scale: 1, seed: 98 });

    const progress: Progress[] = [];
    const restored = await restoreSet(rt.deps, outcome.manifest.label, { onProgress: (p) => progress.push(p) });
    expect(await postgresFingerprint(config, ['app'])).toBe(appBefore);
    const owner = await pgQuery<{ owner: string }>(config, db(config), "SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = 'app'");
    expect(owner[0]?.owner).toBe('events_migrator');
    const grant = await pgQuery<{ ok: boolean }>(config, db(config), "SELECT has_table_privilege('events_app', 'app.events', 'INSERT') AS ok");
    expect(grant[0]?.ok).toBe(true);
    const analytics = await pgQuery(config, db(config), "SELECT 1 FROM pg_namespace WHERE nspname = 'analytics'");
    expect(analytics).toEqual([]);
    expect(progress.map((p) => p.message).join('\n')).toMatch(/analytics in the set is left for OpenCRVS's migrations to rebuild/);
    expect(Object.keys(restored.results[0]?.counts ?? {}).every((k) => k.startsWith(`${db(config)}.app.`))).toBe(true);
  });

  it('fails the store, naming it, when a configured database does not exist', async () => {
    const { rt } = setup({ POSTGRES_DATABASES: 'no_such_db' });
    const outcome = await runBackup(rt.deps, { requestedBy: 'test' });
    expect(outcome.ok).toBe(false);
    expect(outcome.manifest.stores[0]?.ok).toBe(false);
    expect(outcome.manifest.stores[0]?.error).toMatch(/no database "no_such_db"/);
  });

  it('carries the roles without passwords and creates a missing one on restore, with its grants', async () => {
    const { config, rt } = setup({ POSTGRES_RESTORE_SCHEMAS: 'all' });
    await seedPostgres(config, { scale: 1, seed: 10 });
    const role = uniqueDb('reader');
    const password = 'Role-Password-4711';
    await pgQuery(config, 'postgres', `CREATE ROLE ${role} LOGIN PASSWORD '${password}' CONNECTION LIMIT 7`);
    await pgQuery(config, db(config), `GRANT USAGE ON SCHEMA app TO ${role}; GRANT SELECT ON app.events TO ${role}`);
    const outcome = await runBackup(rt.deps, { requestedBy: 'test' });
    expect(outcome.ok).toBe(true);
    const rolesFile = outcome.manifest.artifacts.find((a) => a.meta?.['format'] === 'pg_dumpall-roles');
    const text = await readFile(join(config.backupRoot, rolesFile?.path ?? ''), 'utf8');
    expect(text).toContain(`CREATE ROLE ${role};`);
    expect(text).not.toContain(password);
    expect(text).not.toMatch(/SCRAM-SHA-256|PASSWORD '/);

    await pgQuery(config, 'postgres', `DROP DATABASE ${db(config)} WITH (FORCE)`);
    await pgQuery(config, 'postgres', `DROP ROLE ${role}`);
    await restoreSet(rt.deps, outcome.manifest.label);
    const found = await pgQuery<{ rolconnlimit: number; rolcanlogin: boolean }>(config, 'postgres', 'SELECT rolconnlimit, rolcanlogin FROM pg_roles WHERE rolname = $1', [role]);
    expect(found).toEqual([{ rolconnlimit: 7, rolcanlogin: true }]);
    const grant = await pgQuery<{ ok: boolean }>(config, db(config), `SELECT has_table_privilege('${role}', 'app.events', 'SELECT') AS ok`);
    expect(grant[0]?.ok).toBe(true);
    await pgQuery(config, db(config), `DROP OWNED BY ${role}`);
    await pgQuery(config, 'postgres', `DROP ROLE ${role}`);
  });

  it('reads every row back while the dump is written; a dump without that mark (adopted) is read in full by verify, which reports what differs', async () => {
    const { config, rt } = setup();
    await seedPostgres(config, { scale: 1, seed: 11 });
    const outcome = await runBackup(rt.deps, { requestedBy: 'test' });
    const adapter = rt.deps.adapters.get('postgres');
    const dump = outcome.manifest.artifacts.find((a) => a.path.endsWith('.dump'));
    if (!adapter || !dump) throw new Error('no adapter or dump');
    const ctx = { label: outcome.manifest.label, root: config.backupRoot, signal: new AbortController().signal, progress: () => undefined };
    expect(dump.meta?.['rowsVerified']).toBe(true);
    expect(await adapter.verify([dump], ctx)).toEqual([]);
    // A cut file fails the set's checksum (checked before the adapter's own check).
    const cutSet = join(config.backupRoot, dump.path);
    const saved = await readFile(cutSet);
    await truncate(cutSet, Math.floor(saved.length / 2));
    expect((await verifySet(rt.deps, outcome.manifest.label)).problems.join('\n')).toMatch(/sha256|size/);
    await writeFile(cutSet, saved);

    // Without the mark (as an adopted file of the old scripts), every row is read and counted again.
    const { rowsVerified: _, ...meta } = dump.meta ?? {};
    const unmarked = { ...dump, meta };
    expect(await adapter.verify([unmarked], ctx)).toEqual([]);
    const wrongCounts = { ...unmarked, counts: { ...dump.counts, [`${db(config)}.app.events`]: 1999 } };
    expect(await adapter.verify([wrongCounts], ctx)).toEqual([expect.stringMatching(/app\.events has 2000 rows, the manifest 1999/)]);

    const cut = `postgres/cut-${outcome.manifest.label}.dump`;
    await copyFile(join(config.backupRoot, dump.path), join(config.backupRoot, cut));
    await truncate(join(config.backupRoot, cut), Math.floor((await stat(join(config.backupRoot, dump.path))).size * 0.6));
    const problems = await adapter.verify([{ ...unmarked, path: cut }], ctx);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toMatch(/cannot be read in full|not a readable pg_dump archive|ends inside/);
  });

  it('refuses a restore before dropping anything when the archive is unsound', async () => {
    const { config, rt } = setup();
    await seedPostgres(config, { scale: 1, seed: 12 });
    const outcome = await runBackup(rt.deps, { requestedBy: 'test' });
    const dump = outcome.manifest.artifacts.find((a) => a.path.endsWith('.dump'));
    await seedPostgres(config, { scale: 1, seed: 13 });
    const live = await postgresFingerprint(config);
    const adapter = rt.deps.adapters.get('postgres');
    if (!adapter || !dump) throw new Error('no adapter or dump');
    await truncate(join(config.backupRoot, dump.path), 4000);
    const ctx = { label: outcome.manifest.label, root: config.backupRoot, signal: new AbortController().signal, progress: () => undefined };
    await expect(adapter.restore(outcome.manifest.artifacts, ctx)).rejects.toThrow(/failed verification/);
    expect(await postgresFingerprint(config)).toBe(live);
  });

  it('refuses tools older than the server, saying how to run the right ones', async () => {
    const bin = join(testConfig().backupRoot, 'old-tools');
    await mkdir(bin, { recursive: true });
    // Only the version answer matters: the check must stop before any dump is attempted.
    await writeFile(join(bin, 'pg_dump'), '#!/bin/sh\necho "pg_dump (PostgreSQL) 15.4"\n', { mode: 0o755 });
    const { rt } = setup({ PG_BIN_DIR: bin });
    const outcome = await runBackup(rt.deps, { requestedBy: 'test' });
    expect(outcome.ok).toBe(false);
    expect(outcome.manifest.stores[0]?.error).toMatch(/pg_dump 15\.4 .* older than the server .* POSTGRES_EXEC=docker:/);
  });

  it('a set without PostgreSQL (made on v1.8) leaves PostgreSQL untouched on a v1.9 deployment', async () => {
    const { config, rt } = setup({ BACKUP_STORES: 'mongo,postgres', MONGO_DATABASES: 'user-mgnt' });
    await SEEDERS.mongo(config, { scale: 1, seed: 14 });
    const v18 = await runBackup(rt.deps, { requestedBy: 'test', stores: ['mongo'] });
    expect(v18.manifest.artifacts.map((a) => a.store)).toEqual(['mongo']);
    await seedPostgres(config, { scale: 1, seed: 15 });
    const pgBefore = await postgresFingerprint(config);
    const mongoBefore = await FINGERPRINTS.mongo(config);
    await SEEDERS.mongo(config, { scale: 1, seed: 16 });

    const restored = await restoreSet(rt.deps, v18.manifest.label);
    expect(restored.results.map((r) => r.store)).toEqual(['mongo']);
    expect(await FINGERPRINTS.mongo(config)).toBe(mongoBefore);
    expect(await postgresFingerprint(config)).toBe(pgBefore);
    expect((await readManifest(config.backupRoot, v18.manifest.label))?.manifest.stores.map((s) => s.store)).toEqual(["mongo"]);
  });
});
