/** Point-in-time recovery's settings: the server trio set together or not at all, secrets redacted. */
import { describe, expect, it } from 'vitest';
import { loadConfig, redactedEnv } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';

describe('point-in-time recovery configuration', () => {
  it('is off by default, with a 15 min lag limit', () => {
    const c = loadConfig({});
    expect(c.pitr.enabled).toBe(false);
    expect(c.pitr.maxLagMs).toBe(15 * 60_000);
    expect(c.pitr.server).toBeUndefined();
  });

  it('refuses to start when only some of PITR_DATA_DIR, PITR_STOP_COMMAND, PITR_START_COMMAND are set', () => {
    let err: unknown;
    try {
      loadConfig({ PITR_ENABLED: 'true', PITR_DATA_DIR: '/var/lib/postgresql/data', PITR_STOP_COMMAND: 'pg_ctl stop' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/PITR_START_COMMAND must be set together with PITR_DATA_DIR and PITR_STOP_COMMAND/);
    const c = loadConfig({ PITR_DATA_DIR: '/pg/data/', PITR_STOP_COMMAND: 'pg_ctl stop', PITR_START_COMMAND: 'pg_ctl start' });
    expect(c.pitr.server?.dataDir).toBe('/pg/data');
  });

  it('never prints the replication password', () => {
    const c = loadConfig({ PITR_REPLICATION_PASSWORD: 'repl-secret-123' });
    expect(c.pitr.replicationPassword).toBe('repl-secret-123');
    expect(JSON.stringify(redactedEnv(c.env))).not.toContain('repl-secret-123');
  });
});
