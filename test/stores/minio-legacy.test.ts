/**
 * The MinIO adapter and the OpenCRVS scripts' old format (a tarball of MinIO's data folder), and
 * a MinIO that is down or silent: the bot must answer with a clear error within a bounded time.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'minio';
import { afterAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { StoreError } from '../../src/errors.ts';
import { createExecutor } from '../../src/exec/index.ts';
import { createMinioAdapter, type MinioExec } from '../../src/stores/minio/index.ts';
import { restoreLegacy } from '../../src/stores/minio/legacy.ts';
import type { Artifact, StoreContext } from '../../src/stores/types.ts';
import { seedMinio } from '../../scripts/seed/minio.ts';
import { freePort } from '../../scripts/services/util.ts';
import { testConfig } from '../helpers/env.ts';

const execFileP = promisify(execFile);
const servers: Server[] = [];
const sockets: Socket[] = [];
const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((r) => rm(r, { recursive: true, force: true })));
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

function context(root: string): StoreContext {
  roots.push(root);
  return { label: `legacy${Date.now()}`, root, signal: AbortSignal.timeout(300_000), progress: () => undefined };
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function keysOf(client: Client, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const item of client.listObjectsV2(bucket, '', true)) {
    const name = (item as { name?: string }).name;
    if (name) keys.push(name);
  }
  return keys.sort();
}

/** What today's scripts make: a tar.gz of the live MinIO data folder, as an artifact without meta. */
async function legacyArtifact(dataDir: string, root: string, label: string): Promise<{ artifact: Artifact; file: string }> {
  const rel = `minio/ocrvs-${label}.tar.gz`;
  const file = join(root, rel);
  await mkdir(join(root, 'minio'), { recursive: true });
  // tar exits 1 when a file of the live folder changes while it is read; the scripts accept that too.
  // MinIO's scratch space (.minio.sys/tmp: trash of deleted objects) is left out to keep this fast.
  await execFileP('tar', ['--warning=no-file-changed', '--exclude=./.minio.sys/tmp', '-czf', file, '-C', dataDir, '.']).catch((err: { code?: number }) => {
    if (err.code !== 1) throw err;
  });
  const artifact: Artifact = { store: 'minio', path: rel, kind: 'file', bytes: (await stat(file)).size, sha256: await sha256(file), counts: {}, durationMs: 0 };
  return { artifact, file };
}

describe('minio: legacy data-folder tarballs', () => {
  it('recognises one and refuses to restore it, saying how to do it by hand', async () => {
    const config = testConfig({ MINIO_BUCKETS: 'ocrvs' });
    const dataDir = config.minio.dataDir as string;
    expect(dataDir).toBeTruthy();
    await seedMinio(config, { scale: 0.2, seed: 5 });
    const url = new URL(config.minio.url);
    const client = new Client({ endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey: config.minio.accessKey, secretKey: config.minio.secretKey });
    const before = await keysOf(client, 'ocrvs');
    const ctx = context(config.backupRoot);
    const { artifact, file } = await legacyArtifact(dataDir, config.backupRoot, ctx.label);
    const adapter = createMinioAdapter(config);

    // Verify already says it, so a whole-set restore stops before any store is touched.
    const problems = await adapter.verify([artifact], ctx);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`tar -xzf ${file} -C ${dataDir}`);
    const err = await adapter.restore([artifact], ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    const message = (err as StoreError).message;
    expect(message).toContain('tarball of a MinIO data folder');
    expect(message).toContain('stop MinIO');
    expect(message).toContain(`tar -xzf ${file} -C ${dataDir}`);
    expect(message).toContain('start MinIO');
    expect(message).toContain('MINIO_RESTART_COMMAND');
    expect(await keysOf(client, 'ocrvs')).toEqual(before);
  });

  it('hands it to the exec layer when MINIO_DATA_DIR and MINIO_RESTART_COMMAND are set', async () => {
    const config = testConfig({ MINIO_BUCKETS: 'ocrvs', MINIO_RESTART_COMMAND: 'systemctl restart minio' });
    const dataDir = config.minio.dataDir as string;
    const ctx = context(config.backupRoot);
    const { artifact, file } = await legacyArtifact(dataDir, config.backupRoot, ctx.label);
    // A recording exec: the real one would wipe the shared test server's bucket folder.
    const calls: string[][] = [];
    const withExec = createMinioAdapter(config, undefined, { exec: async () => ({ stdout: '', stderr: '' }) });
    expect(await withExec.verify([artifact], ctx)).toEqual([]);
    const exec: MinioExec = async (argv) => {
      calls.push(argv);
      return { stdout: '', stderr: '' };
    };
    const counts = await createMinioAdapter(config, undefined, { exec }).restore([artifact], ctx);
    expect(calls[0]?.slice(0, 2)).toEqual(['sh', '-c']);
    expect(calls[0]?.slice(3)).toEqual(['sh', file, 'ocrvs', dataDir]);
    // Extract into a staging folder beside the bucket, check, swap by rename — then restart.
    expect(calls).toHaveLength(3);
    expect(calls[1]?.slice(0, 2)).toEqual(['sh', '-c']);
    expect(calls[1]?.[2]).toContain('.crvs-staging-');
    expect(calls[1]?.slice(3)).toEqual(['sh', file, 'ocrvs', dataDir]);
    expect(calls[2]).toEqual(['sh', '-c', 'systemctl restart minio']);
    expect(counts['ocrvs.objects']).toBeGreaterThan(0);
  });
});

describe('minio: legacy restore checks the tarball on the MinIO host before removing anything', () => {
  // The real local exec layer, against a private data folder (never the running MinIO's).
  const local = createExecutor({ kind: 'local' });
  const exec: MinioExec = async (argv, opts) => {
    const r = await local.run(argv, opts);
    return { stdout: r.stdout, stderr: r.stderr };
  };

  async function setup(): Promise<{ base: string; dataDir: string; good: string; cfg: Config['minio'] }> {
    const base = await mkdtemp(join(tmpdir(), 'crvs-legacy-'));
    roots.push(base);
    const dataDir = join(base, 'data');
    await mkdir(join(dataDir, 'ocrvs', 'old-object'), { recursive: true });
    await writeFile(join(dataDir, 'ocrvs', 'old-object', 'xl.meta'), 'today');
    // The tarball's bucket: a new object plus incompressible bytes, so a cut lands mid-stream.
    const source = join(base, 'source');
    await mkdir(join(source, 'ocrvs', 'new-object'), { recursive: true });
    await writeFile(join(source, 'ocrvs', 'new-object', 'xl.meta'), 'from the backup');
    await writeFile(join(source, 'ocrvs', 'new-object', 'part.1'), randomBytes(256 * 1024));
    const good = join(base, 'ocrvs-good.tar.gz');
    await execFileP('tar', ['-czf', good, '-C', source, '.']);
    const cfg = { ...testConfig().minio, dataDir, restartCommand: `touch ${join(base, 'restarted')}` };
    return { base, dataDir, good, cfg };
  }

  async function refusal(file: string, cfg: Config['minio']): Promise<string> {
    const err = await restoreLegacy(file, 'ocrvs', cfg, exec, { timeoutMs: 30_000, signal: AbortSignal.timeout(30_000) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    return (err as Error).message;
  }

  async function untouched(base: string, dataDir: string): Promise<void> {
    expect(await readFile(join(dataDir, 'ocrvs', 'old-object', 'xl.meta'), 'utf8')).toBe('today');
    expect(existsSync(join(dataDir, 'ocrvs', 'new-object'))).toBe(false);
    expect(existsSync(join(base, 'restarted'))).toBe(false);
  }

  it('refuses a truncated tarball and leaves the data folder as it was', async () => {
    const { base, dataDir, good, cfg } = await setup();
    const cut = join(base, 'ocrvs-cut.tar.gz');
    await copyFile(good, cut);
    await truncate(cut, Math.floor((await stat(good)).size / 2));
    const message = await refusal(cut, cfg);
    expect(message).toContain(`will not replace ${dataDir}/ocrvs: `);
    expect(message).toContain(`${cut} is not a complete tar.gz`);
    expect(message).toContain('nothing was removed');
    await untouched(base, dataDir);
  });

  it('refuses a missing tarball, one without the bucket folder, and a missing data folder', async () => {
    const { base, dataDir, good, cfg } = await setup();
    expect(await refusal(join(base, 'absent.tar.gz'), cfg)).toContain('absent.tar.gz is missing or unreadable');
    const other = join(base, 'other.tar.gz');
    await mkdir(join(base, 'other', 'another-bucket'), { recursive: true });
    await execFileP('tar', ['-czf', other, '-C', join(base, 'other'), '.']);
    expect(await refusal(other, cfg)).toContain(`${other} holds no folder ocrvs/`);
    expect(await refusal(good, { ...cfg, dataDir: join(base, 'no-such-folder') })).toContain(`the MinIO data folder ${join(base, 'no-such-folder')} does not exist`);
    await untouched(base, dataDir);
  });

  it('replaces the bucket folder from a sound tarball and restarts MinIO', async () => {
    const { base, dataDir, good, cfg } = await setup();
    await restoreLegacy(good, 'ocrvs', cfg, exec, { timeoutMs: 30_000, signal: AbortSignal.timeout(30_000) });
    expect(await readFile(join(dataDir, 'ocrvs', 'new-object', 'xl.meta'), 'utf8')).toBe('from the backup');
    expect(existsSync(join(dataDir, 'ocrvs', 'old-object'))).toBe(false);
    expect(existsSync(join(base, 'restarted'))).toBe(true);
    expect(readdirSync(dataDir)).toEqual(['ocrvs']);
  });
});

describe('minio: server down', () => {
  it('fails with a StoreError at once when nothing listens', async () => {
    const port = await freePort();
    const config = testConfig({ MINIO_URL: `http://127.0.0.1:${port}`, CONNECT_TIMEOUT_SECONDS: '2' });
    const adapter = createMinioAdapter(config);
    const started = Date.now();
    const err = await adapter.version().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).message).toMatch(/^minio: .*connection refused/);
    expect((err as StoreError).message).not.toContain(config.minio.secretKey);
    await expect(adapter.backup(context(config.backupRoot))).rejects.toBeInstanceOf(StoreError);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('gives up on a server that accepts connections but never answers, within the connect timeout', async () => {
    const server = createServer((s) => sockets.push(s));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const config = testConfig({ MINIO_URL: `http://127.0.0.1:${port}`, CONNECT_TIMEOUT_SECONDS: '2' });
    const adapter = createMinioAdapter(config);
    const started = Date.now();
    const err = await adapter.counts().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    const version = await adapter.version().catch((e: unknown) => e);
    expect(version).toBeInstanceOf(StoreError);
    expect((version as StoreError).message).toContain('no answer within 2 s');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
