/**
 * The scrubber every surface relies on: what a user or a log reader would see when a secret is
 * in a driver's error, a nested log field, a URL or a typed command.
 */
import { PassThrough } from 'node:stream';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAuditLog, auditFile } from '../../src/audit/log.ts';
import { loadConfig, redactedEnv } from '../../src/config.ts';
import { ConfigError, ExecError, StoreError, userMessage } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import { redactText } from '../../src/redact.ts';
import { boltLogger } from '../../src/slack/bolt-logger.ts';

const SECRETS = {
  ES_PASSWORD: 'es-Pw"quote\\back-71',
  INFLUX_PASSWORD: 'influx-Pw-99213',
  MINIO_SECRET_KEY: 'minio-Sk-0a9b8c7d',
  OFFSITE_ENCRYPTION_KEY: 'offsite-Key-5566778899',
  SLACK_BOT_TOKEN: 'xoxb-1234-5678-botTokenSecret',
  SLACK_APP_TOKEN: 'xapp-1-A0001-appTokenSecret',
  SLACK_SIGNING_SECRET: 'signing-Secret-4433',
};
const MONGO_PW = 'mongo-P/w@-3344';
const REDIS_PW = 'redis-Pw-8877';

function config(): ReturnType<typeof loadConfig> {
  return loadConfig({
    ...SECRETS,
    MONGO_URL: `mongodb://backup:${encodeURIComponent(MONGO_PW)}@mongo-1:27017/?authSource=admin`,
    REDIS_URL: `redis://:${REDIS_PW}@redis-1:6379`,
  });
}

const ALL = [...Object.values(SECRETS), MONGO_PW, encodeURIComponent(MONGO_PW), REDIS_PW];

function expectClean(text: string): void {
  for (const s of ALL) expect(text, `leaked ${s}`).not.toContain(s);
}

function captureLogger(level = 'trace'): { logger: ReturnType<typeof createLogger>; text: () => string } {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  return { logger: createLogger(level, out), text: () => text };
}

describe('secret redaction', () => {
  it('config printouts hide every secret, including passwords in Mongo and Redis URLs', () => {
    const c = config();
    const printed = JSON.stringify(redactedEnv(c.env));
    expectClean(printed);
    expect(printed).toContain('redis://:[redacted]@redis-1:6379');
    expect(printed).toContain('mongodb://backup:[redacted]@mongo-1:27017');
  });

  it('refuses credentials in ES_URL, INFLUX_URL and MINIO_URL without printing them', () => {
    for (const name of ['ES_URL', 'INFLUX_URL', 'MINIO_URL']) {
      let err: unknown;
      try {
        loadConfig({ [name]: 'http://admin:url-Secret-123@127.0.0.1:9999' });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).variable).toBe(name);
      expect(userMessage(err)).not.toContain('url-Secret-123');
    }
  });

  it('a driver error quoting a secret or a URL with a password reaches the user scrubbed', () => {
    config();
    const driver = new Error(`auth failed for mongodb://backup:${encodeURIComponent(MONGO_PW)}@mongo-1 (password ${SECRETS.ES_PASSWORD}) token=${SECRETS.SLACK_BOT_TOKEN}`);
    const shown = [
      userMessage(driver),
      userMessage(new StoreError('mongo', driver.message)),
      userMessage(new ExecError('influxd backup', 1, `Authorization: Basic ${Buffer.from('u:p').toString('base64')} ${SECRETS.INFLUX_PASSWORD}`)),
      userMessage(`string thrown with ${SECRETS.MINIO_SECRET_KEY}`),
    ].join('\n');
    expectClean(shown);
    expect(shown).toContain('mongodb://backup:[redacted]@mongo-1');
    expect(shown).not.toContain('dTpw');
    expect(new StoreError('mongo', driver.message).message).not.toContain(SECRETS.ES_PASSWORD);
  });

  it('scrubs credential-looking text even when it was never configured', () => {
    const text = redactText(
      'redis://:only-password@h:1 http://u:p/with/slash@h?x=1 https://h/cb?token=abc123&ok=1 ' +
        'xoxp-999-888-userTok xapp-1-AAA-zzz authorization: Bearer eyJabc.def.ghi ' +
        '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaA\n-----END OPENSSH PRIVATE KEY-----' +
        ' `sh -c ./deploy.sh --password=flagPw1 --token flagTok2` exited with 1',
    );
    for (const s of ['only-password', 'p/with/slash', 'abc123', 'userTok', 'AAA-zzz', 'eyJabc', 'b3BlbnNzaA', 'flagPw1', 'flagTok2']) expect(text).not.toContain(s);
    expect(text).toContain('ok=1');
    // Plain URLs, ports and words are left alone.
    expect(redactText('cannot reach http://127.0.0.1:9200 (Basic authentication failed)')).toBe('cannot reach http://127.0.0.1:9200 (Basic authentication failed)');
  });

  it('the logger censors secret fields at any depth and scrubs messages, errors and URLs', () => {
    const c = config();
    const { logger, text } = captureLogger();
    logger.info({ password: 'top-Level-Pw-1', token: 'tok-Abc-123456', secretKey: 'sk-Abc-123456' }, 'fields');
    logger.info({ config: { minio: { secretKey: c.minio.secretKey }, elasticsearch: { password: c.elasticsearch.password } } }, 'nested');
    logger.info({ env: c.env }, 'whole env');
    logger.info({ slack: c.slack }, 'slack config');
    logger.error({ err: new Error(`connect failed: ${c.mongo.url}`) }, 'error object');
    logger.warn({ url: c.redisUrl }, `message with ${c.mongo.url} and ${SECRETS.OFFSITE_ENCRYPTION_KEY}`);
    const out = text();
    expectClean(out);
    for (const s of ['top-Level-Pw-1', 'tok-Abc-123456', 'sk-Abc-123456']) expect(out).not.toContain(s);
    expect(out).toContain('[redacted]');
    // Still structured: every line is JSON.
    for (const line of out.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
  });

  it("Bolt's and the Web API client's messages go through the same scrubbing", () => {
    config();
    const { logger, text } = captureLogger('debug');
    const bolt = boltLogger(logger);
    bolt.debug(`http request headers: {"Authorization":"Bearer ${SECRETS.SLACK_BOT_TOKEN}"}`);
    bolt.error(new Error(`socket failed with ${SECRETS.SLACK_APP_TOKEN}`), { appToken: SECRETS.SLACK_APP_TOKEN });
    expectClean(text());
  });

  it('the audit log stores typed text scrubbed and bounded', async () => {
    config();
    const root = mkdtempSync(join(tmpdir(), 'audit-'));
    await createAuditLog(root).append({ user: 'U1', action: `/backup ${SECRETS.SLACK_BOT_TOKEN} ${'x'.repeat(5000)}`, outcome: 'refused', detail: `failed: ${SECRETS.ES_PASSWORD}` });
    const line = readFileSync(auditFile(root), 'utf8');
    expectClean(line);
    const entry = JSON.parse(line) as { action: string };
    expect(entry.action.length).toBeLessThanOrEqual(300);
  });
});
