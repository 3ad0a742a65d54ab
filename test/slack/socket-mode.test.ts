/** Smoke test of the default mode: Socket Mode against the fake's apps.connections.open + WebSocket. */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockActionPayload, slashCommandFields, startFakeSlack, waitFor, type FakeSlack } from '../../src/fake-slack/index.ts';
import { createLogger } from '../../src/log.ts';
import { createSlackApp, type SlackSurface } from '../../src/slack/app.ts';
import { APPROVAL_ACTIONS } from '../../src/slack/blocks/approval-card.ts';
import { testConfig } from '../helpers/env.ts';
import { CHANNEL, USERS } from './helpers/bot.ts';
import { createTestCore, type TestCore } from './helpers/test-core.ts';

let fake: FakeSlack;
let surface: SlackSurface;
let redis: Redis;
let core: TestCore;

beforeAll(async () => {
  fake = await startFakeSlack({ botToken: 'xoxb-sock', appToken: 'xapp-sock', users: Object.values(USERS).map((id) => ({ id, name: id })) });
  const config = testConfig({
    SLACK_MODE: 'socket',
    SLACK_BOT_TOKEN: 'xoxb-sock',
    SLACK_APP_TOKEN: 'xapp-sock',
    SLACK_API_URL: fake.apiUrl,
    SLACK_OPERATORS: USERS.operator,
    SLACK_APPROVERS: [USERS.approverA, USERS.approverB].join(','),
  });
  redis = new Redis(config.redisUrl);
  core = createTestCore();
  surface = createSlackApp({ config, core, redis, logger: createLogger('silent'), redisPrefix: `test:${randomBytes(6).toString('hex')}` });
  await surface.start();
  await fake.socket.connected();
});

afterAll(async () => {
  await surface?.stop();
  await fake?.close();
  redis?.disconnect();
});

describe('Socket Mode', () => {
  it('connects with the app token and acks a slash command, then runs it', async () => {
    expect(fake.calls.find((c) => c.method === 'apps.connections.open')?.result).toBe('ok');
    const ack = await fake.socket.send('slash_commands', slashCommandFields(fake, { command: '/backup', text: 'socket-smoke', user: USERS.operator, channel: CHANNEL }));
    expect(ack.ms).toBeLessThan(3000);
    await waitFor(() => fake.messages.find((m) => m.text.includes('Backup `socket-smoke` queued')), 5000, 'root message');
    await waitFor(() => core.backups.length === 1, 5000, 'backup queued');
    expect(core.backups.map((b) => b.label)).toEqual(['socket-smoke']);
  });

  it('acks approval clicks delivered as interactive envelopes', async () => {
    await fake.socket.send('slash_commands', slashCommandFields(fake, { command: '/restore', text: '2026-11-25', user: USERS.operator, channel: CHANNEL }));
    const card = await waitFor(() => fake.messages.find((m) => m.text.startsWith('Restore request 2026-11-25')), 5000, 'card');
    await waitFor(() => fake.ephemerals.find((e) => e.text.includes('Approval requested')), 5000, 'confirmation');
    for (const user of [USERS.approverA, USERS.approverB]) {
      await fake.socket.send('interactive', blockActionPayload(fake, { user, channel: CHANNEL, ts: card.ts, actionId: APPROVAL_ACTIONS.approve }));
    }
    await waitFor(() => core.restores.length === 1, 5000, 'restore enqueued');
    expect([...(core.restores[0]?.approvedBy ?? [])].sort()).toEqual([USERS.approverA, USERS.approverB].sort());
  });
});
