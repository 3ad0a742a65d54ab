/**
 * Adoption of a set written by today's OpenCRVS scripts (no manifest), on the real services:
 * the set is made without any of the bot's writers, adopted, verified, and restored by the normal
 * restore path with data equal to before. Refusals: unknown label, adopting twice, a partial set,
 * and the MinIO data-folder tarball without a restart command.
 */
import { access, cp, readFile, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import type { Config } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { createMongoAdapter } from '../../src/stores/mongo/index.ts';
import type { Counts } from '../../src/stores/types.ts';
import { manifestSchema, type Manifest } from '../../src/backup/manifest.ts';
import { SEEDERS } from '../../scripts/seed/index.ts';
import { FINGERPRINTS } from '../contract/fingerprints.ts';
import { runCli } from '../helpers/cli.ts';
import { servicesEnv, testConfig } from '../helpers/env.ts';
import { legacySet } from './legacy-set.ts';

const execFileP = promisify(execFile);
const RESTORED = ['mongo', 'elasticsearch', 'influxdb'] as const;
const LABEL = '2026-11-26';

let config: Config;
/** A deployment whose operators let the bot restore MinIO data-folder tarballs. */
let env: Record<string, string>;
/** The same deployment without MINIO_RESTART_COMMAND: MinIO tarballs are restored by hand. */
let manualEnv: Record<string, string>;

async function fingerprints(c: Config): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const s of RESTORED) out[s] = await FINGERPRINTS[s](c);
  return out;
}

async function manifestOf(label: string): Promise<Manifest> {
  return manifestSchema.parse(JSON.parse(await readFile(join(config.backupRoot, 'manifests', `${label}.json`), 'utf8')));
}

/** Documents per collection as the live databases hold them now. */
async function liveMongoCounts(): Promise<Counts> {
  const adapter = createMongoAdapter(config, createLogger('silent'));
  try {
    return await adapter.counts();
  } finally {
    await adapter.close();
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

describe('crvs-backup adopt (sets made by the OpenCRVS scripts)', () => {
  beforeAll(async () => {
    // A repository of its own: other suites re-register `ocrvs` at their own roots on the shared node.
    const overrides = { ES_REPOSITORY: `ocrvs-adopt-${process.pid}`, LOG_LEVEL: 'silent' };
    config = testConfig(overrides);
    const base = { ...servicesEnv(), ...overrides, BACKUP_ROOT: config.backupRoot };
    manualEnv = { ...base };
    delete manualEnv['MINIO_RESTART_COMMAND'];
    env = { ...base, MINIO_EXEC: 'local', MINIO_RESTART_COMMAND: 'echo restart minio' };
    for (const s of [...RESTORED, 'minio'] as const) await SEEDERS[s](config, { scale: 1, seed: 21 });
  });

  afterAll(async () => {
    // Unregistering leaves the folder alone; the folder then goes with the test's backup root.
    await fetch(`${config.elasticsearch.url.replace(/\/$/, '')}/_snapshot/${config.elasticsearch.repository}`, { method: 'DELETE', signal: AbortSignal.timeout(30_000) }).catch(() => undefined);
    await rm(config.backupRoot, { recursive: true, force: true });
  });

  it('adopts, verifies and restores a set of the scripts: data equal to before', async () => {
    const before = await fingerprints(config);
    const t0 = Date.now();
    await legacySet(config, LABEL);
    const madeMs = Date.now() - t0;

    const adopted = await runCli(['adopt', LABEL], env);
    expect(adopted.stderr).toBe('');
    expect(adopted.stdout).toContain(`✓ ${LABEL} verified`);
    expect(adopted.code).toBe(0);
    for (const s of ['elasticsearch', 'influxdb', 'minio']) expect(adopted.stdout).toMatch(new RegExp(`✓ ${s}: .*counts not recorded \\(legacy set\\)`));
    expect(adopted.stdout).toMatch(/✓ mongo: \d+ artifact\(s\), .* [1-9]\d* records counted/);

    const m = await manifestOf(LABEL);
    expect(m.origin).toBe('legacy');
    expect(m.requestedBy).toBe('adopt');
    expect(m.stores.every((s) => s.ok)).toBe(true);
    const mongo = m.artifacts.filter((a) => a.store === 'mongo');
    expect(mongo.map((a) => a.path)).toContain(`mongo/hearth-dev-${LABEL}.gz`);
    // Counts come from reading the archives; they equal what the live databases held.
    expect(Object.assign({}, ...mongo.map((a) => a.counts))).toEqual(await liveMongoCounts());
    const es = m.artifacts.find((a) => a.store === 'elasticsearch');
    expect(es?.counts).toEqual({});
    expect(es?.meta?.['countsKnown']).toBe(false);
    expect(es?.meta?.['indices']).toEqual(expect.arrayContaining(['ocrvs']));
    const minio = m.artifacts.find((a) => a.store === 'minio');
    expect(minio?.meta?.['format']).toBe('legacy-datadir');
    expect(m.artifacts.find((a) => a.store === 'influxdb')?.files?.some((f) => f.path.endsWith('.manifest'))).toBe(true);

    const verified = await runCli(['verify', LABEL], env);
    expect(verified.code).toBe(0);

    // Another deployment's data replaces the seeded one.
    for (const s of RESTORED) await SEEDERS[s](config, { scale: 1, seed: 99 });
    const changed = await fingerprints(config);
    for (const s of RESTORED) expect(changed[s]).not.toBe(before[s]);

    const t1 = Date.now();
    const restored = await runCli(['restore', LABEL, '--yes', '--stores', RESTORED.join(',')], env);
    const restoreMs = Date.now() - t1;
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(restored.stdout).toMatch(/✓ mongo: \d+ records restored and counted/);
    expect(restored.stdout).toMatch(/✓ elasticsearch: \d+ records restored .*counts not recorded \(legacy set\)/);
    expect(restored.stdout).toMatch(/✓ influxdb: \d+ records restored .*counts not recorded \(legacy set\)/);
    expect(await fingerprints(config)).toEqual(before);
    process.stderr.write(`[adopt] legacy set made in ${madeMs} ms, restore of 3 stores in ${restoreMs} ms\n`);
  });

  it('refuses to adopt a label twice', async () => {
    const again = await runCli(['adopt', LABEL], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already has a manifest');
  });

  it('refuses an unknown label, naming the nearest ones', async () => {
    const r = await runCli(['adopt', '2026-11-62'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No backup set named "2026-11-62"');
    expect(r.stderr).toContain(`Nearest available: ${LABEL}`);
    expect(await exists(join(config.backupRoot, 'manifests', '2026-11-62.json'))).toBe(false);
  });

  it('without MINIO_RESTART_COMMAND the MinIO tarball is refused with the steps to restore it by hand', async () => {
    const verify = await runCli(['verify', LABEL], manualEnv);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain('tar -xzf');
    const before = await FINGERPRINTS.minio(config);
    const r = await runCli(['restore', LABEL, '--yes', '--stores', 'minio'], manualEnv);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/To restore it by hand on the MinIO host: 1\) stop MinIO; 2\) run `tar -xzf .*ocrvs-2026-11-26\.tar\.gz -C /);
    expect(await FINGERPRINTS.minio(config)).toBe(before);
  });

  it('a set with files of some stores only is adopted as partial: a full restore is refused', async () => {
    const label = '2026-11-27';
    for (const db of config.mongo.databases) {
      const from = join(config.backupRoot, 'mongo', `${db}-${LABEL}.gz`);
      if (await exists(from)) await cp(from, join(config.backupRoot, 'mongo', `${db}-${label}.gz`));
    }
    const adopted = await runCli(['adopt', label], env);
    expect(adopted.code).toBe(1);
    for (const s of ['elasticsearch', 'influxdb', 'minio']) expect(adopted.stdout).toContain(`– ${s}: no file for this label in the legacy layout`);
    const m = await manifestOf(label);
    expect(m.stores.find((s) => s.store === 'mongo')?.ok).toBe(true);
    const before = await fingerprints(config);
    const full = await runCli(['restore', label, '--yes'], env);
    expect(full.code).toBe(1);
    expect(full.stderr).toContain('elasticsearch: the backup of this store failed (no file for this label in the legacy layout)');
    expect(await fingerprints(config)).toEqual(before);
  });

  it('names a damaged file of the scripts; with nothing usable it writes no manifest', async () => {
    const label = '2026-11-30';
    const mongoDir = join(config.backupRoot, 'mongo');
    const good = join(mongoDir, `hearth-dev-${LABEL}.gz`);
    const cut = join(mongoDir, `hearth-dev-${label}.gz`);
    await cp(good, cut);
    await truncate(cut, Math.floor((await stat(good)).size / 2));
    const none = await runCli(['adopt', label], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/mongo: mongo\/hearth-dev-2026-11-30\.gz is not a sound mongodump archive: .*truncated/);
    expect(await exists(join(config.backupRoot, 'manifests', `${label}.json`))).toBe(false);

    // With a sound store beside it, the set is adopted as partial and the damaged store named.
    await cp(join(config.backupRoot, 'influxdb', LABEL), join(config.backupRoot, 'influxdb', label), { recursive: true });
    const partial = await runCli(['adopt', label], env);
    expect(partial.code).toBe(1);
    expect(partial.stdout).toMatch(/✗ mongo: mongo\/hearth-dev-2026-11-30\.gz is not a sound/);
    expect(partial.stdout).toContain('✓ influxdb: 1 artifact(s)');
    expect((await manifestOf(label)).stores.find((s) => s.store === 'mongo')?.ok).toBe(false);
  });

  it('adopts archives written by the real mongodump when it is built here (optional, not in CI)', async () => {
    const bin = '/tmp/mtbin/mongodump';
    if (!(await exists(bin))) return;
    const label = '2026-11-28';
    const cfgFile = join(config.backupRoot, 'mongodump.yaml');
    await writeFile(cfgFile, `uri: ${config.mongo.url}\n`, { mode: 0o600 });
    for (const db of config.mongo.databases) {
      await execFileP(bin, [`--config=${cfgFile}`, `--db=${db}`, '--gzip', `--archive=${join(config.backupRoot, 'mongo', `${db}-${label}.gz`)}`], { timeout: 300_000 });
    }
    const r = await runCli(['adopt', label], { ...env, BACKUP_STORES: 'mongo' });
    expect(r.stdout).toContain(`✓ ${label} verified`);
    expect(r.code).toBe(0);
    const m = await manifestOf(label);
    expect(Object.assign({}, ...m.artifacts.map((a) => a.counts))).toEqual(await liveMongoCounts());
  });
});
