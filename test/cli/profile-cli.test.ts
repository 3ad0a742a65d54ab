/** OPENCRVS_VERSION=auto on real servers: `npm run seed -- --profile X` makes a deployment that `config check` recognises. */
import { describe, expect, it } from 'vitest';
import { seedProfile } from '../../scripts/seed/index.ts';
import { runCli } from '../helpers/cli.ts';
import { servicesEnv, testConfig } from '../helpers/env.ts';

describe('auto-detected OpenCRVS version', () => {
  it.each(['v1.8', 'v1.9', 'v2.0'] as const)('a %s deployment is detected, and its stores are the ones checked', async (version) => {
    const config = testConfig();
    await seedProfile(config, version, { scale: 0.2, seed: 4 });
    const env = { ...servicesEnv(), OPENCRVS_VERSION: 'auto', BACKUP_ROOT: config.backupRoot, LOG_LEVEL: 'silent' };
    const r = await runCli(['config', 'check'], env);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`OpenCRVS ${version} (detected: `);
    if (version === 'v1.8') {
      expect(r.stdout).toMatch(/stores: mongo, elasticsearch, influxdb, minio, folders\n/);
      expect(r.stdout).not.toMatch(/✓ postgres/);
    } else {
      expect(r.stdout).toMatch(/stores: mongo, postgres, elasticsearch, influxdb, minio, folders\n/);
      expect(r.stdout).toMatch(/✓ postgres\s+reachable: PostgreSQL 17\.\d+; pg_dump 17\.\d+ on local/);
    }
  });
});
