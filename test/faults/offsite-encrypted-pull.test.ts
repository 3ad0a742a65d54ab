/**
 * Issue 11, defect 6: a set that exists only on the backup server, encrypted. `/restore` (the core's
 * validation) pulls it into a staging folder, decrypts and checks it there, and only then moves
 * plain files into place; without the key it is refused, clearly, before anything is downloaded.
 * Real sshd (the backup server), MongoDB and Elasticsearch from the harness.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCore } from '../../src/core/core.ts';
import { createOffsiteCopier } from '../../src/pipeline/offsite-adapter.ts';
import { runPipeline } from '../../src/pipeline/run-pipeline.ts';
import { runCli } from '../helpers/cli.ts';
import { servicesEnv } from '../helpers/env.ts';
import { fileSha } from '../helpers/offsite-set.ts';
import { makeEnv, seedMongo, type Env } from '../pipeline/helpers.ts';

const envs: Env[] = [];
const cleanup: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanup) await c().catch(() => undefined);
  await Promise.allSettled(envs.splice(0).map((e) => e.close()));
});

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

async function seedIndex(url: string, index: string, n: number): Promise<void> {
  const body = Array.from({ length: n }, (_, i) => `{"index":{"_index":"${index}","_id":"d${i}"}}\n{"n":${i}}\n`).join('');
  const res = await fetch(new URL('/_bulk?refresh=true', url), { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
  if (!res.ok) throw new Error(`seeding ${index}: ${res.status} ${await res.text()}`);
}

describe('an encrypted set only on the backup server', () => {
  it('is pulled through /restore with the key (staged, decrypted, verified); refused clearly without it; nothing lands beside live paths', async () => {
    const id = randomBytes(4).toString('hex');
    const s = servicesEnv();
    const common = { BACKUP_SERVER_HOST: s['BACKUP_SERVER_HOST'] ?? '', BACKUP_STORES: 'mongo,elasticsearch', ES_INDEX_PATTERNS: `fio${id}-*` };
    // The old server: a set, copied offsite encrypted.
    const oldRoot = mkdtempSync(join(s['BACKUP_ROOT'] ?? tmpdir(), 'fio-old-'));
    const keyFile = join(oldRoot, 'offsite.key');
    writeFileSync(keyFile, `offsite key of the test ${id} ${randomBytes(8).toString('hex')}\n`, { mode: 0o600 });
    const withKey = await makeEnv({ ...common, BACKUP_ROOT: oldRoot, ES_REPOSITORY: `fio-old-${id}`, OFFSITE_ENCRYPTION_KEY_FILE: keyFile });
    envs.push(withKey);
    await seedMongo(withKey.config.mongo.url, withKey.config.mongo.databases[0] as string, 25);
    const esUrl = withKey.config.elasticsearch.url;
    const drop = (path: string) => () => fetch(new URL(path, esUrl), { method: 'DELETE' });
    cleanup.push(drop(`/fio${id}-a`), drop(`/_snapshot/fio-old-${id}`), drop(`/_snapshot/fio-new-${id}`));
    await seedIndex(esUrl, `fio${id}-a`, 40);
    const label = `enc-${id}`;
    const offsite = createOffsiteCopier(withKey.config, withKey.backup.logger);
    const run = await runPipeline(
      { backup: withKey.backup, redis: withKey.lockRedis, history: withKey.history, offsite, reporter: undefined, nextRun: async () => undefined, lockWaitMs: 1000, offsiteTimeoutMs: 120_000 },
      { runId: `fio-${id}`, trigger: 'manual', requestedBy: 'U1', label },
    );
    expect(run.outcome).toBe('ok');
    const remoteDir = withKey.config.backupServer?.dir ?? '';
    expect(filesUnder(join(remoteDir, label)).some((f) => f.endsWith('.gz.enc'))).toBe(true);
    const mongoRel = filesUnder(oldRoot).find((f) => f.startsWith('mongo/') && f.includes(label)) ?? '';
    const mongoSha = fileSha(join(oldRoot, mongoRel));

    // A new server: empty backup root, the same backup server, no key yet.
    const bare = await makeEnv({ ...common, BACKUP_SERVER_DIR: remoteDir, ES_REPOSITORY: `fio-new-${id}` });
    envs.push(bare);
    const newRoot = bare.config.backupRoot;
    const coreBare = createCore({ backup: bare.backup, queues: bare.queues, redis: bare.lockRedis, history: bare.history, offsite: createOffsiteCopier(bare.config, bare.backup.logger), offsiteTimeoutMs: 120_000 });
    expect((await coreBare.listSets()).find((x) => x.label === label)?.location).toBe('remote');
    const refused = await coreBare.validateForRestore(label);
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.problems.join(' ')).toMatch(/encrypted .* no offsite key: set OFFSITE_ENCRYPTION_KEY_FILE.*Nothing was downloaded/);
    // Nothing was pulled: no set file, no repository file, no manifest, no staging left.
    expect(filesUnder(newRoot)).toEqual([]);
    expect((await coreBare.listSets()).find((x) => x.label === label)?.location).toBe('remote');
    // The CLI says the same and exits 1.
    const cli = await runCli(['pull', label], { ...servicesEnv(), BACKUP_ROOT: newRoot, BACKUP_STORES: 'mongo', BACKUP_SERVER_DIR: remoteDir, LOG_LEVEL: 'silent' });
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/stored encrypted on the backup server and this bot has no offsite key/);
    expect(filesUnder(newRoot)).toEqual([]);

    // The same new server with the key: pulled, decrypted, verified, the set now local too.
    const newKey = join(oldRoot, `copied-${id}.key`);
    writeFileSync(newKey, readFileSync(keyFile), { mode: 0o600 });
    const keyed = await makeEnv({ ...common, BACKUP_ROOT: newRoot, BACKUP_SERVER_DIR: remoteDir, ES_REPOSITORY: `fio-new-${id}`, OFFSITE_ENCRYPTION_KEY_FILE: newKey });
    envs.push(keyed);
    const core = createCore({ backup: keyed.backup, queues: keyed.queues, redis: keyed.lockRedis, history: keyed.history, offsite: createOffsiteCopier(keyed.config, keyed.backup.logger), offsiteTimeoutMs: 120_000 });
    const v = await core.validateForRestore(label);
    expect(v.ok, JSON.stringify(v)).toBe(true);
    if (!v.ok) return;
    expect(v.set.complete).toBe(true);
    expect(v.set.location).toBe('both');
    const pulled = filesUnder(newRoot);
    // Plain files only beside live paths (and in the live ES repository): no .enc, no .part, no staging.
    expect(pulled.filter((f) => f.endsWith('.enc') || f.endsWith('.part') || f.includes('.decrypting'))).toEqual([]);
    expect(pulled.filter((f) => f.startsWith('.offsite/'))).toEqual([]);
    expect(fileSha(join(newRoot, mongoRel))).toBe(mongoSha);
    expect(pulled).toContain(`manifests/${label}.json`);
    expect(readFileSync(join(newRoot, 'elasticsearch', 'index.latest')).subarray(0, 7).toString()).not.toBe('CRVSENC');
    expect(fileSha(join(newRoot, 'elasticsearch', 'index.latest'))).toBe(fileSha(join(oldRoot, 'elasticsearch', 'index.latest')));
  }, 240_000);
});
