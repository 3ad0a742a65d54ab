/** Test configuration built from the harness's .services/env, with a private backup root. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../src/config.ts';

/**
 * The variables of the running services (as in .services/env), for a deployment of OpenCRVS v1.8
 * unless a test says otherwise: every test shares the servers, so what OPENCRVS_VERSION=auto would
 * detect depends on what other tests left there.
 */
export function servicesEnv(): Record<string, string> {
  return { OPENCRVS_VERSION: 'v1.8', ...inject('servicesEnv') };
}

/** A Config for the live services, with a fresh backup root unless one is given. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  const env = servicesEnv();
  const root = overrides['BACKUP_ROOT'] ?? mkdtempSync(join(env['BACKUP_ROOT'] ?? tmpdir(), 'test-'));
  return loadConfig({ ...env, LOG_LEVEL: 'silent', ...overrides, BACKUP_ROOT: root });
}
