/**
 * The InfluxDB adapter against a real influxd (harness): backup → verify → damage the data →
 * restore gives back exactly the seeded data; a broken set is refused before anything is dropped;
 * an unreachable server fails fast and clearly; secrets never reach a process list.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync, truncateSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedInfluxdb } from '../../scripts/seed/influxdb.ts';
import type { Config } from '../../src/config.ts';
import { StoreError, VerificationError } from '../../src/errors.ts';
import { createExecutor, type Executor } from '../../src/exec/index.ts';
import { createLogger } from '../../src/log.ts';
import { createInfluxAdapter, createInfluxHttp, samplePoints } from '../../src/stores/influxdb/index.ts';
import type { Progress, StoreContext } from '../../src/stores/types.ts';
import { testConfig } from '../helpers/env.ts';

const MEASUREMENTS = ['birth_registration', 'death_registration', 'declarations_started', 'user_audit_event'];
const SECRET = `influx-pw-${Math.random().toString(36).slice(2)}`;
const logger = createLogger('silent');

function context(config: Config, label: string): StoreContext & { messages: string[] } {
  const messages: string[] = [];
  return { label, root: config.backupRoot, signal: new AbortController().signal, progress: (p: Progress) => messages.push(p.message), messages };
}

async function samples(config: Config): Promise<Record<string, unknown[][]>> {
  const http = createInfluxHttp({ url: config.influx.url, username: undefined, password: undefined, connectTimeoutMs: 5000, operationTimeoutMs: 30_000 });
  const out: Record<string, unknown[][]> = {};
  for (const m of MEASUREMENTS) out[m] = await samplePoints(http, config.influx.database, m, 5);
  return out;
}

/** A port that accepts connections and never answers: a hung server. */
function silentServer(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer(() => undefined);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      resolve({ server, port: typeof addr === 'object' && addr ? addr.port : 0 });
    });
  });
}

describe('influxdb adapter (real influxd)', () => {
  // Credentials are configured (the harness server ignores them) so that secrecy can be checked.
  const config = testConfig({ INFLUX_USERNAME: 'crvs-admin', INFLUX_PASSWORD: SECRET });
  let seeded: Record<string, number>;
  let seededSamples: Record<string, unknown[][]>;

  beforeAll(async () => {
    seeded = await seedInfluxdb(config, { scale: 1, seed: 7 });
    seededSamples = await samples(config);
  });

  it('counts what the seeder wrote', async () => {
    const adapter = createInfluxAdapter(config, logger);
    expect(await adapter.version()).toMatch(/^InfluxDB 1\.\d+/);
    expect(Object.keys(seeded)).toHaveLength(8);
    expect(await adapter.counts()).toEqual(seeded);
  });

  it('backs up, verifies, and restores the seeded data over writes and a dropped measurement', async () => {
    const adapter = createInfluxAdapter(config, logger);
    const ctx = context(config, 'cycle');
    const artifacts = await adapter.backup(ctx);
    expect(artifacts).toHaveLength(1);
    const [a] = artifacts;
    expect(a?.path).toBe('influxdb/cycle');
    expect(a?.kind).toBe('dir');
    expect(a?.counts).toEqual(seeded);
    const names = (a?.files ?? []).map((f) => f.path);
    expect(names.filter((n) => n.endsWith('.manifest'))).toHaveLength(1);
    expect(names.filter((n) => n.endsWith('.meta'))).toHaveLength(1);
    // 30 days of data span several weekly shards.
    expect(names.filter((n) => /\.s\d+\.tar\.gz$/.test(n)).length).toBeGreaterThanOrEqual(4);
    expect(await adapter.verify(artifacts, ctx)).toEqual([]);

    const http = createInfluxHttp({ url: config.influx.url, username: undefined, password: undefined, connectTimeoutMs: 5000, operationTimeoutMs: 30_000 });
    await http.write('ocrvs', 'birth_registration,regStatus=REGISTERED,locationLevel2=Location/Nowhere ageInDays=1i 1767000000000\nbirth_registration,regStatus=REGISTERED ageInDays=2i 1767000001000');
    await http.query('DROP MEASUREMENT "user_audit_event"', { db: 'ocrvs', write: true });
    const damaged = await adapter.counts();
    expect(damaged['user_audit_event.points']).toBeUndefined();
    expect(damaged['birth_registration.points']).toBe((seeded['birth_registration.points'] ?? 0) + 2);

    const restored = await adapter.restore(artifacts, ctx);
    expect(restored).toEqual(seeded);
    expect(await adapter.counts()).toEqual(seeded);
    expect(await samples(config)).toEqual(seededSamples);
  });

  it('refuses a set with a missing shard before dropping anything', async () => {
    const adapter = createInfluxAdapter(config, logger);
    const ctx = context(config, 'broken');
    const artifacts = await adapter.backup(ctx);
    const dir = join(config.backupRoot, 'influxdb', 'broken');
    const shard = readdirSync(dir).find((n) => n.endsWith('.tar.gz')) as string;
    rmSync(join(dir, shard));

    const problems = await adapter.verify(artifacts, ctx);
    expect(problems.join('\n')).toContain(`${shard}: missing`);
    const err = await adapter.restore(artifacts, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VerificationError);
    expect((err as Error).message).toContain(shard);
    // Nothing was dropped.
    expect(await adapter.counts()).toEqual(seeded);
    expect(ctx.messages.some((m) => m.startsWith('dropping'))).toBe(false);
  });

  it('finds a damaged shard archive', async () => {
    const adapter = createInfluxAdapter(config, logger);
    const ctx = context(config, 'truncated');
    const artifacts = await adapter.backup(ctx);
    const dir = join(config.backupRoot, 'influxdb', 'truncated');
    const shard = readdirSync(dir).find((n) => n.endsWith('.tar.gz')) as string;
    truncateSync(join(dir, shard), 100);
    const problems = await adapter.verify(artifacts, ctx);
    expect(problems.join('\n')).toContain(`${shard}: shard archive is damaged`);
  });

  it('refuses to write into a label that already holds a backup', async () => {
    const adapter = createInfluxAdapter(config, logger);
    const ctx = context(config, 'twice');
    await adapter.backup(ctx);
    await expect(adapter.backup(ctx)).rejects.toThrow(/already exists/);
  });

  it('never shows the password in a process list while influxd backup runs', async () => {
    const local = createExecutor({ kind: 'local' });
    const lists: string[] = [];
    // The real executor, watched: the process list is read again and again while influxd runs.
    const watched: Executor = {
      target: local.target,
      async run(argv, opts) {
        // A backup of the small test database can end between two reads of the process list (it
        // did, under load). A shell that runs the same argv and then lingers keeps that argv on
        // view long enough to be read; influxd still gets its password only as the shell does.
        const lingering = ['sh', '-c', '"$@"; s=$?; sleep 0.5; exit $s', 'sh', ...argv];
        let done = false;
        const running = local.run(lingering, opts).finally(() => {
          done = true;
        });
        while (!done) {
          lists.push(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }));
          await new Promise((r) => setTimeout(r, 20));
        }
        return running;
      },
    };
    const adapter = createInfluxAdapter(config, logger, { executor: watched });
    const artifacts = await adapter.backup(context(config, 'ps'));
    expect(lists.some((l) => l.includes('backup -portable -database ocrvs'))).toBe(true);
    for (const l of lists) expect(l).not.toContain(SECRET);
    expect(JSON.stringify(artifacts)).not.toContain(SECRET);
  });

  it('refuses to drop anything when influxd cannot run where INFLUX_EXEC points', async () => {
    const ctx = context(config, 'no-influxd');
    const artifacts = await createInfluxAdapter(config, logger).backup(ctx);
    const missing = testConfig({ INFLUXD_BIN: '/nonexistent/influxd', BACKUP_ROOT: config.backupRoot });
    const err = await createInfluxAdapter(missing, logger).restore(artifacts, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toMatch(/influxd cannot run on local \(INFLUXD_BIN=\/nonexistent\/influxd\).*nothing was dropped/);
    expect(await createInfluxAdapter(config, logger).counts()).toEqual(seeded);
    expect(ctx.messages.some((m) => m.startsWith('dropping'))).toBe(false);
  });

  it('refuses to drop anything when the host of influxd does not see the backup folder', async () => {
    const ctx = context(config, 'elsewhere');
    const artifacts = await createInfluxAdapter(config, logger).backup(ctx);
    const local = createExecutor({ kind: 'local' });
    // Another host: the real local executor, in a mount namespace where BACKUP_ROOT is an empty folder.
    const elsewhere: Executor = {
      target: 'local (other mounts)',
      run: (argv, opts) => local.run(['unshare', '-m', 'sh', '-c', 'mount -t tmpfs none "$1" && shift && exec "$@"', 'sh', config.backupRoot, ...argv], opts),
    };
    const err = await createInfluxAdapter(config, logger, { executor: elsewhere }).restore(artifacts, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toContain(`the backup folder ${join(config.backupRoot, 'influxdb', 'elsewhere')} cannot be read on local (other mounts): no folder`);
    expect((err as Error).message).toContain('is BACKUP_ROOT the same path where influxd runs?');
    expect(await createInfluxAdapter(config, logger).counts()).toEqual(seeded);
    expect(ctx.messages.some((m) => m.startsWith('dropping'))).toBe(false);
  });

  it('backs up and restores through SSH on the manager node (same backup path)', async () => {
    const sshConfig = testConfig({ INFLUX_EXEC: 'ssh', BACKUP_ROOT: config.backupRoot });
    const adapter = createInfluxAdapter(sshConfig, logger);
    const ctx = context(sshConfig, 'over-ssh');
    const artifacts = await adapter.backup(ctx);
    expect(artifacts[0]?.counts).toEqual(seeded);
    expect(await adapter.verify(artifacts, ctx)).toEqual([]);
    expect(await adapter.restore(artifacts, ctx)).toEqual(seeded);
  });
});

describe('influxdb adapter, server unreachable', () => {
  let hung: { server: Server; port: number };
  beforeAll(async () => {
    hung = await silentServer();
  });
  afterAll(() => {
    hung.server.close();
  });

  it('fails with a clear StoreError when nothing listens', async () => {
    const config = testConfig({ INFLUX_URL: 'http://127.0.0.1:1', CONNECT_TIMEOUT_SECONDS: '2' });
    const adapter = createInfluxAdapter(config, logger);
    const started = Date.now();
    const err = await adapter.backup(context(config, 'down')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toMatch(/influxdb: cannot reach InfluxDB at http:\/\/127\.0\.0\.1:1/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('gives up on a server that accepts but never answers, within the connect timeout', async () => {
    const config = testConfig({ INFLUX_URL: `http://127.0.0.1:${hung.port}`, CONNECT_TIMEOUT_SECONDS: '2' });
    const adapter = createInfluxAdapter(config, logger);
    const started = Date.now();
    const err = await adapter.version().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toMatch(/no answer within 2 s/);
    expect(Date.now() - started).toBeLessThan(4500);
  });

  it('fails fast when the backup endpoint (RPC) is closed, instead of influxd retrying for minutes', async () => {
    const config = testConfig({ INFLUX_RPC_ADDRESS: '127.0.0.1:1', CONNECT_TIMEOUT_SECONDS: '2' });
    const adapter = createInfluxAdapter(config, logger);
    const started = Date.now();
    const err = await adapter.backup(context(config, 'no-rpc')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toMatch(/INFLUX_RPC_ADDRESS/);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
