/**
 * The CLI on the real local services: a full round trip of all four stores, and every refusal
 * (missing --yes, unknown label, damaged set, store down) leaving the data untouched.
 */
import { rm, truncate, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import type { StoreName } from '../../src/stores/types.ts';
import { postgresFingerprint } from '../contract/pg-fingerprint.ts';
import { SEEDERS } from '../../scripts/seed/index.ts';
import { FINGERPRINTS } from '../contract/fingerprints.ts';
import { testConfig, servicesEnv } from '../helpers/env.ts';
import { runCli } from '../helpers/cli.ts';

let config: Config;
let env: Record<string, string>;
let label: string;

async function fingerprintAll(c: Config): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  // PostgreSQL: schema app, what a restore brings back by default (as OpenCRVS v1.9).
  for (const s of c.stores as StoreName[]) out[s] = s === 'postgres' ? await postgresFingerprint(c, ['app']) : await FINGERPRINTS[s](c);
  return out;
}

describe('crvs-backup CLI', () => {
  beforeAll(async () => {
    // A current deployment (v1.9): six stores, PostgreSQL and the folders among them.
    config = testConfig({ OPENCRVS_VERSION: 'v1.9' });
    env = { ...servicesEnv(), OPENCRVS_VERSION: 'v1.9', BACKUP_ROOT: config.backupRoot, LOG_LEVEL: 'silent' };
    for (const s of config.stores as StoreName[]) await SEEDERS[s](config, { scale: 1, seed: 3 });
  });

  it('prints help with every command', async () => {
    const r = await runCli(['--help'], env);
    expect(r.code).toBe(0);
    for (const c of ['config check', 'backup', 'list', 'verify', 'restore', 'prune']) expect(r.stdout).toContain(c);
  });

  it('config check reports every service reachable with its version, secrets redacted', async () => {
    const r = await runCli(['config', 'check'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const name of ['redis', 'mongo', 'postgres', 'elasticsearch', 'influxdb', 'minio', 'backup server', 'manager node']) {
      expect(r.stdout).toMatch(new RegExp(`✓ ${name}\\s+reachable: \\S+`));
    }
    expect(r.stdout).not.toContain(env['MINIO_SECRET_KEY']);
  });

  it('config check --json: every service with its version, the configuration redacted; a service down is ok:false, exit 1', async () => {
    const r = await runCli(['config', 'check', '--json'], env);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { valid: boolean; config: Record<string, string>; services: Array<{ name: string; ok: boolean; version?: string }>; notConfigured: unknown[] };
    expect(report.valid).toBe(true);
    expect(report.config['BACKUP_ROOT']).toBe(env['BACKUP_ROOT']);
    expect(report.config['MINIO_SECRET_KEY']).toBe('[redacted]');
    expect(r.stdout).not.toContain(env['MINIO_SECRET_KEY']);
    const names = report.services.map((s) => s.name);
    for (const name of ['redis', 'mongo', 'elasticsearch', 'influxdb', 'minio', 'backup server', 'manager node']) expect(names).toContain(name);
    for (const s of report.services) expect(s, s.name).toMatchObject({ ok: true, version: expect.stringMatching(/\S/) });
    expect(report.notConfigured).toEqual([]);

    const down = await runCli(['config', 'check', '--json', '--quiet'], { ...env, MINIO_URL: 'http://127.0.0.1:9', CONNECT_TIMEOUT_SECONDS: '1', BACKUP_SERVER_HOST: '' });
    expect(down.code).toBe(1);
    const d = JSON.parse(down.stdout) as { config?: unknown; services: Array<{ name: string; ok: boolean; error?: string }>; notConfigured: Array<{ variable: string }> };
    expect(d.config).toBeUndefined();
    expect(d.services.find((s) => s.name === 'minio')).toMatchObject({ ok: false, error: expect.stringMatching(/\S/) });
    expect(d.notConfigured.map((n) => n.variable)).toContain('BACKUP_SERVER_HOST');
  });

  it('config check names a bad variable and exits 2', async () => {
    const r = await runCli(['config', 'check'], { ...env, BACKUP_SERVER_PORT: 'twenty-two' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('BACKUP_SERVER_PORT');
  });

  it('round-trips every store of v1.9 (PostgreSQL and folders included): backup, list, verify, restore', async () => {
    const before = await fingerprintAll(config);
    const b = await runCli(['backup'], env);
    expect(b.stdout).toContain('is complete');
    expect(b.code).toBe(0);
    label = /Backup set (\S+) is complete/.exec(b.stdout)?.[1] ?? '';
    const list = await runCli(['list'], env);
    expect(list.stdout).toMatch(new RegExp(`${label}.*complete`));
    const v = await runCli(['verify', label], env);
    expect(v.code).toBe(0);
    const vj = await runCli(['verify', label, '--json'], env);
    expect(vj.code).toBe(0);
    const verified = JSON.parse(vj.stdout) as { label: string; ok: boolean; artifacts: number; stores: Array<{ store: string; ok: boolean; artifacts: number }>; problems: string[] };
    expect(verified).toMatchObject({ label, ok: true, problems: [] });
    expect(verified.stores.map((s) => s.store).sort()).toEqual([...config.stores].sort());
    for (const s of verified.stores) expect(s, s.store).toMatchObject({ ok: true, artifacts: expect.any(Number) });
    expect(verified.artifacts).toBe(verified.stores.reduce((n, s) => n + s.artifacts, 0));

    for (const s of config.stores as StoreName[]) await SEEDERS[s](config, { scale: 1, seed: 42 });
    expect(await fingerprintAll(config)).not.toEqual(before);

    const refused = await runCli(['restore', label], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--yes/);
    expect(refused.stderr).toMatch(/cannot be undone/);

    const r = await runCli(['restore', label, '--yes'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await fingerprintAll(config)).toEqual(before);

    const audit = await runCli(['audit'], env);
    expect(audit.code).toBe(0);
    expect(audit.stdout).toMatch(new RegExp(`cli:\\S+\\s+restore ${label} → refused`));
    expect(audit.stdout).toMatch(new RegExp(`cli:\\S+\\s+restore ${label} → ok`));
  });

  it('an unknown label is refused with the nearest labels', async () => {
    const r = await runCli(['restore', `${label}x`, '--yes'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No backup set named');
    expect(r.stderr).toContain(label);
  });

  it('a damaged set is refused before anything is destroyed, listing every problem', async () => {
    const before = await fingerprintAll(config);
    const manifest = JSON.parse(await readFile(join(config.backupRoot, 'manifests', `${label}.json`), 'utf8')) as { artifacts: Array<{ store: string; path: string; kind: string }> };
    const mongoFile = manifest.artifacts.find((a) => a.store === 'mongo' && a.kind === 'file');
    const minioFile = manifest.artifacts.find((a) => a.store === 'minio' && a.kind === 'file');
    if (!mongoFile || !minioFile) throw new Error('the set lacks mongo or minio files');
    const mongoPath = join(config.backupRoot, mongoFile.path);
    const saved = await readFile(mongoPath);
    await rm(mongoPath);
    await truncate(join(config.backupRoot, minioFile.path), 100);
    const vj = await runCli(['verify', label, '--json'], env);
    expect(vj.code).toBe(1);
    const verified = JSON.parse(vj.stdout) as { ok: boolean; stores: Array<{ store: string; ok: boolean; problems: string[] }> };
    expect(verified.ok).toBe(false);
    expect(verified.stores.find((s) => s.store === 'mongo')?.problems.join('\n')).toContain(`${mongoFile.path}: missing`);
    expect(verified.stores.find((s) => s.store === 'elasticsearch')).toMatchObject({ ok: true, problems: [] });
    const r = await runCli(['restore', label, '--yes'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${mongoFile.path}: missing`);
    expect(r.stderr).toContain(minioFile.path);
    expect(await fingerprintAll(config)).toEqual(before);
    await writeFile(mongoPath, saved);
  });

  it('a store that is down makes the set partial (exit 1) after a bounded wait; the others are backed up', async () => {
    const r = await runCli(['backup', '--label', 'partial-test', '--stores', 'mongo,minio'], { ...env, MINIO_URL: 'http://127.0.0.1:9', CONNECT_TIMEOUT_SECONDS: '2' });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✓ mongo/);
    expect(r.stdout).toMatch(/✗ minio/);
    expect(r.stdout).toContain('PARTIAL');
    const v = await runCli(['restore', 'partial-test', '--yes'], env);
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(/minio: the backup of this store failed/);
  });
});
