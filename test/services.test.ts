import { pgQuery, pgTool } from './helpers/postgres.ts';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { down, status, up } from '../scripts/services/harness.ts';
import { alive } from '../scripts/services/util.ts';
import { servicesEnv, testConfig } from './helpers/env.ts';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { deployStack, docker, engine, migrationControl, stackName } from './helpers/swarm.ts';

/** Processes whose command line names the harness engine's folder (dockerd, containerd, shims). */
function engineProcesses(dir: string): string[] {
  return execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(dir) && !l.includes('ps -eo'));
}

describe('local services harness', () => {
  it('runs every service for real, each with a version and a loopback URL', () => {
    const services = inject('services');
    expect(services.map((s) => s.name).sort()).toEqual(['docker', 'elasticsearch', 'influxdb', 'kubernetes', 'minio', 'mongo', 'mongo-tools', 'postgres', 'redis', 'sshd']);
    expect(services.find((s) => s.name === 'kubernetes')?.version).toMatch(/^v1\.36\.\d+ \(etcd v3\.6\.\d+, kwok v0\.7\.\d+\)$/);
    expect(services.find((s) => s.name === 'mongo-tools')?.version).toMatch(/^mongodump\/mongorestore 100\.\d+/);
    expect(services.find((s) => s.name === 'postgres')?.version).toMatch(/^PostgreSQL 17\.\d+$/);
    for (const s of services) {
      expect(s.real, s.name).toBe(true);
      expect(s.version, s.name).not.toMatch(/^(unknown|)$/);
      // Every server listens on loopback; the engine on a unix socket of its own under .services/docker/
      // (never the system one); the tools are files.
      const where = s.name === 'docker' ? /^unix:\/\/.*\.services\/docker\/docker\.sock$/ : s.name === 'mongo-tools' ? /^file:\/\// : /127\.0\.0\.1|localhost/;
      expect(s.url, s.name).toMatch(where);
    }
  });

  it('writes exactly the variables the bot reads into .services/env', () => {
    const env = servicesEnv();
    for (const name of ['REDIS_URL', 'MONGO_URL', 'POSTGRES_URL', 'POSTGRES_PASSWORD', 'PG_BIN_DIR', 'ES_URL', 'INFLUX_URL', 'MINIO_URL', 'BACKUP_SERVER_HOST', 'MANAGER_HOST', 'BACKUP_ROOT', 'BACKUP_FOLDERS', 'KUBECONFIG']) {
      expect(env[name], name).toBeTruthy();
    }
  });

  it('postgres takes the password from the environment, refuses a wrong one, and its tools are of its version', async () => {
    const config = testConfig();
    const rows = await pgQuery<{ v: string }>(config, 'postgres', "SELECT current_setting('server_version') AS v");
    expect(rows[0]?.v).toMatch(/^17\./);
    const wrong = testConfig({ POSTGRES_PASSWORD: 'not-the-password' });
    await expect(pgQuery(wrong, 'postgres', 'SELECT 1')).rejects.toThrow(/password authentication failed/);
    expect(await pgTool(config, 'pg_dump', ['--version'])).toMatch(/pg_dump \(PostgreSQL\) 17\./);
  });

  it('redis answers a write and a read', async () => {
    const redis = new Redis(servicesEnv()['REDIS_URL'] as string);
    try {
      await redis.set('harness:probe', 'hello');
      expect(await redis.get('harness:probe')).toBe('hello');
    } finally {
      redis.disconnect();
    }
  });

  it('up is idempotent and down leaves no process behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crvs-services-'));
    const first = await up({ servicesDir: dir, only: ['redis'], log: () => undefined });
    const again = await up({ servicesDir: dir, only: ['redis'], log: () => undefined });
    expect(again[0]?.pid).toBe(first[0]?.pid);
    expect(status({ servicesDir: dir })[0]?.running).toBe(true);
    const pids = first.flatMap((s) => s.pids);
    await down({ servicesDir: dir });
    expect(pids.filter(alive)).toEqual([]);
  });

  it('kubernetes: a cluster of its own answers with its node Ready; down leaves no process behind', { timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crvs-services-'));
    try {
      const [cluster] = await up({ servicesDir: dir, only: ['kubernetes'], log: () => undefined });
      expect(cluster?.real).toBe(true);
      expect(cluster?.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(cluster?.pids).toHaveLength(5);
      const kc = new KubeConfig();
      kc.loadFromFile(cluster?.env['KUBECONFIG'] as string);
      const node = await kc.makeApiClient(CoreV1Api).readNode({ name: 'kwok-node-0' });
      expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      const pids = cluster?.pids ?? [];
      await down({ servicesDir: dir });
      expect(pids.filter(alive)).toEqual([]);
    } finally {
      await down({ servicesDir: dir }).catch(() => undefined);
    }
  });

  it('docker: a real engine with a swarm and the test images; down leaves no container or process, up brings it back', { timeout: 240_000 }, async () => {
    const p = engine();
    expect((await docker(['info', '--format', '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}'])).trim()).toBe('active true');
    const images = await docker(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}']);
    expect(images).toContain('crvs-test/busybox:1');
    expect(images).toContain('crvs-test/migration:1');
    // Containers running when the harness goes down.
    const stack = stackName();
    migrationControl(stack, { databases: [`${stack}-db`], migrations: 1, delayMs: 0 });
    await deployStack(stack);
    const dir = dirname(p.pidFile);
    expect(engineProcesses(dir).length).toBeGreaterThan(2);
    await down({ only: ['docker'] });
    expect(engineProcesses(dir)).toEqual([]);
    await up({ only: ['docker'], log: () => undefined });
    expect((await docker(['ps', '-aq'])).trim()).toBe('');
    expect((await docker(['service', 'ls', '-q'])).trim()).toBe('');
  });
});
