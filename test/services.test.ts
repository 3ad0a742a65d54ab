import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { down, status, up } from '../scripts/services/harness.ts';
import { alive } from '../scripts/services/util.ts';
import { servicesEnv } from './helpers/env.ts';

describe('local services harness', () => {
  it('runs every service for real, each with a version and a loopback URL', () => {
    const services = inject('services');
    expect(services.map((s) => s.name).sort()).toEqual(['elasticsearch', 'influxdb', 'minio', 'mongo', 'postgres', 'redis', 'sshd']);
    for (const s of services) {
      expect(s.real, s.name).toBe(true);
      expect(s.version, s.name).not.toMatch(/^(unknown|)$/);
      expect(s.url, s.name).toMatch(/127\.0\.0\.1|localhost/);
    }
  });

  it('writes exactly the variables the bot reads into .services/env', () => {
    const env = servicesEnv();
    for (const name of ['REDIS_URL', 'MONGO_URL', 'ES_URL', 'INFLUX_URL', 'MINIO_URL', 'BACKUP_SERVER_HOST', 'MANAGER_HOST', 'BACKUP_ROOT']) {
      expect(env[name], name).toBeTruthy();
    }
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
});
