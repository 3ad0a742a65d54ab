import { describe, expect, it } from 'vitest';
import { loadConfig, redactedEnv, parseDotenv } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('loadConfig accepted a bad configuration');
}

describe('configuration', () => {
  it('starts with safe defaults and the OpenCRVS database list', () => {
    const c = loadConfig({});
    expect(c.backupRoot).toBe('/data/backups');
    expect(c.mongo.databases).toContain('hearth-dev');
    expect(c.elasticsearch.repository).toBe('ocrvs');
    expect(c.elasticsearch.repositoryLocation).toBe('/data/backups/elasticsearch');
    expect(c.cron).toBe('0 0 * * *');
  });

  it.each([
    ['REDIS_URL', 'not a url'],
    ['BACKUP_SERVER_PORT', '70000'],
    ['RETENTION_DAYS', '-3'],
    ['INFLUX_EXEC', 'telnet'],
    ['SLACK_BOT_TOKEN', 'abc'],
    ['BACKUP_SERVER_HOST_KEY', 'ssh-rsa AAAA'],
  ])('names %s when its value is bad', (name, value) => {
    const err = errorOf({ [name]: value });
    expect(err.variable).toBe(name);
    expect(err.message).toContain(name);
    expect(err.exitCode).toBe(2);
  });

  it('names an unknown store and a bad database name', () => {
    expect(errorOf({ BACKUP_STORES: 'mongo,mysql' }).message).toContain('unknown store "mysql"');
    expect(errorOf({ MONGO_DATABASES: 'hearth-dev,bad name' }).variable).toBe('MONGO_DATABASES');
  });

  it('requires the SSH user and key once a backup server host is set', () => {
    expect(errorOf({ BACKUP_SERVER_HOST: '10.0.0.5' }).variable).toBe('BACKUP_SERVER_USER');
    expect(errorOf({ BACKUP_SERVER_HOST: '10.0.0.5', BACKUP_SERVER_USER: 'backup' }).variable).toBe('BACKUP_SERVER_KEY_FILE');
  });

  it('never prints a secret, including passwords inside URLs', () => {
    const c = loadConfig({
      MINIO_SECRET_KEY: 'hunter2-minio',
      SLACK_BOT_TOKEN: 'xoxb-secret-token',
      MONGO_URL: 'mongodb://admin:s3cr3t@mongo1:27017',
      ES_PASSWORD: 'elastic-pass',
    });
    const printed = JSON.stringify(redactedEnv(c.env));
    for (const secret of ['hunter2-minio', 'xoxb-secret-token', 's3cr3t', 'elastic-pass']) expect(printed).not.toContain(secret);
    expect(printed).toContain('mongodb://admin:[redacted]@mongo1:27017');
  });

  it('reads a dotenv file format', () => {
    expect(parseDotenv("# c\nA=1\nexport B='two words'\n\nC=\"x\"\n")).toEqual({ A: '1', B: 'two words', C: 'x' });
  });
});
