/**
 * Starts the real Slack surface in HTTP mode against the fake Web API and real Redis (harness),
 * with a fresh Redis prefix and backup root per bot.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Config } from '../../../src/config.ts';
import { startFakeSlack, type BotTarget, type FakeSlack } from '../../../src/fake-slack/index.ts';
import { createLogger } from '../../../src/log.ts';
import { createSlackApp, type SlackSurface } from '../../../src/slack/app.ts';
import { testConfig } from '../../helpers/env.ts';
import { createTestCore, type TestCore } from './test-core.ts';

export const SECRET = 'test-signing-secret-0123456789';
export const CHANNEL = 'COPS0001';
export const USERS = {
  operator: 'UOPER0001',
  operator2: 'UOPER0002',
  approverA: 'UAPPR000A',
  approverB: 'UAPPR000B',
  /** In the approver group only (no id list entry). */
  groupApprover: 'UGRPAPPR1',
  /** Operator AND approver: the self-approval case. */
  both: 'UBOTH0001',
  outsider: 'UOUTSIDE1',
  guest: 'UGUEST001',
} as const;

export interface TestBot {
  fake: FakeSlack;
  surface: SlackSurface;
  target: BotTarget;
  core: TestCore;
  redis: Redis;
  config: Config;
  close(): Promise<void>;
}

export async function startTestBot(env: Record<string, string> = {}, opts: { sweepIntervalMs?: number; now?: () => number } = {}): Promise<TestBot> {
  const fake = await startFakeSlack({
    botToken: 'xoxb-test-token',
    users: Object.entries(USERS).map(([name, id]) => ({ id, name, is_restricted: name === 'guest' })),
    usergroups: { SAPPROVERS: [USERS.groupApprover, USERS.guest] },
  });
  const config = testConfig({
    SLACK_MODE: 'http',
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: fake.apiUrl,
    SLACK_OPERATORS: [USERS.operator, USERS.operator2, USERS.both, USERS.guest].join(','),
    SLACK_APPROVERS: [USERS.approverA, USERS.approverB, USERS.both].join(','),
    SLACK_APPROVER_GROUP: 'SAPPROVERS',
    ...env,
  });
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2 });
  const core = createTestCore();
  const surface = createSlackApp({
    config,
    core,
    redis,
    logger: createLogger(process.env['TEST_LOG_LEVEL'] ?? 'silent'),
    listen: { host: '127.0.0.1', port: 0 },
    redisPrefix: `test:${randomBytes(6).toString('hex')}`,
    sweepIntervalMs: opts.sweepIntervalMs ?? 200,
    now: opts.now,
  });
  await surface.start();
  const target = { url: `http://127.0.0.1:${surface.port()}/slack/events`, signingSecret: SECRET };
  return {
    fake,
    surface,
    target,
    core,
    redis,
    config,
    async close() {
      await surface.stop();
      await fake.close();
      redis.disconnect();
    },
  };
}
