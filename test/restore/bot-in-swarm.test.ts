/**
 * The bot as a Swarm service, killed by its own Docker restart. The whole bot (bin/start.js: Slack
 * over HTTP against the fake Web API, its workers) runs as a service of the harness engine; a
 * restore is asked for and approved through signed requests; the restore restarts Docker, which
 * kills the bot; Swarm brings it back, and it finishes by itself — one Docker restart, one
 * redeploy, migrations Done, one summary. Everything else is real: Redis, MongoDB, the harness
 * sshd as the manager node, the engine, the stack and its migration service.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../src/backup/run-backup.ts';
import { clickButton, sendSlashCommand, startFakeSlack, waitFor, type FakeSlack } from '../../src/fake-slack/index.ts';
import { createLogger } from '../../src/log.ts';
import { APPROVAL_ACTIONS } from '../../src/slack/blocks/approval-card.ts';
import { createAdapters } from '../../src/stores/registry.ts';
import { servicesEnv, testConfig } from '../helpers/env.ts';
import { startBotService, type BotService } from '../helpers/bot-service.ts';
import { commandCounts, countedStackEnv, deployStack, migrationControl, removeStack, stackName, until } from '../helpers/swarm.ts';
import { freePort } from '../../scripts/services/util.ts';
import { dropMongo, mutateMongo, seedMongo, snapshotMongo, testDatabases } from './helpers.ts';

const SECRET = `signing-${randomBytes(8).toString('hex')}`;
const TOKEN = `xoxb-swarm-${randomBytes(6).toString('hex')}`;
const CHANNEL = 'COPSSWARM';
const USERS = { operator: 'UOPERSWRM', approverA: 'UAPPRSWRA', approverB: 'UAPPRSWRB' };

const cleanups: Array<() => Promise<void>> = [];
let bot: BotService | undefined;
let slack: FakeSlack | undefined;

afterAll(async () => {
  await bot?.remove();
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  await slack?.close();
});

describe('the bot as a Swarm service', () => {
  it('is killed by the Docker restart it asks for, comes back by itself and finishes: one restart, one redeploy, one summary', { timeout: 420_000 }, async () => {
    const env = servicesEnv();
    const dbs = testDatabases();
    const stack = stackName();
    const dir = mkdtempSync(join(env['BACKUP_ROOT'] as string, 'swarm-bot-'));
    const commands = join(dir, 'commands.log');
    const redisUrl = `${env['REDIS_URL']?.replace(/\/\d*$/, '')}/14`;
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
    await redis.flushdb();
    cleanups.push(async () => {
      redis.disconnect();
      rmSync(dir, { recursive: true, force: true });
    });
    slack = await startFakeSlack({ botToken: TOKEN, users: Object.entries(USERS).map(([name, id]) => ({ id, name })) });
    const port = await freePort();
    const { BACKUP_ROOT: _shared, ...services } = env;
    const botEnv: Record<string, string> = {
      ...services,
      BACKUP_ROOT: join(dir, 'backups'),
      BACKUP_STORES: 'mongo',
      MONGO_DATABASES: dbs.join(','),
      REDIS_URL: redisUrl,
      ...countedStackEnv(stack, commands),
      STACK_DOWN_TIMEOUT_SECONDS: '120',
      MIGRATION_POLL_SECONDS: '1',
      MIGRATION_PROGRESS_SECONDS: '2',
      MIGRATION_TIMEOUT_HOURS: '0.05',
      RESTORE_JOB_LOCK_SECONDS: '6',
      SLACK_MODE: 'http',
      SLACK_PORT: String(port),
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
      SLACK_CHANNEL: CHANNEL,
      SLACK_OPERATORS: USERS.operator,
      SLACK_APPROVERS: `${USERS.approverA},${USERS.approverB}`,
      LOG_LEVEL: 'info',
    };
    const cfg = testConfig(botEnv);

    // 1. A set of the seeded data, the data changed since, and OpenCRVS (the test stack) running.
    await seedMongo(cfg.mongo.url, dbs);
    cleanups.push(() => dropMongo(cfg.mongo.url, dbs));
    const before = await snapshotMongo(cfg.mongo.url, dbs);
    const adapters = createAdapters(cfg, createLogger('silent'));
    cleanups.push(async () => void (await Promise.allSettled([...adapters.values()].map((a) => a.close()))));
    const label = `set-${randomBytes(3).toString('hex')}`;
    expect((await runBackup({ config: cfg, logger: createLogger('silent'), adapters, botVersion: 'test' }, { label, requestedBy: 'U0SEEDER' })).ok).toBe(true);
    await mutateMongo(cfg.mongo.url, dbs);
    migrationControl(stack, { databases: dbs, migrations: 3, delayMs: 200 });
    cleanups.push(() => removeStack(stack));
    await deployStack(stack);

    // 2. The bot, as a service of the same engine.
    bot = await startBotService(`crvs-bot-${stack}`, dir, botEnv);
    const target = { url: `http://127.0.0.1:${port}/slack/events`, signingSecret: SECRET };
    await until('the bot to answer', 90_000, async () => {
      const res = await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST', body: '{}' }).catch(() => undefined);
      return res !== undefined;
    });

    // 3. Asked for and approved through signed requests, as Slack sends them.
    const asked = await sendSlashCommand(slack, target, { command: '/restore', text: label, user: USERS.operator, channel: CHANNEL });
    expect(asked.status).toBe(200);
    const fake = slack;
    const card = await waitFor(() => fake.messages.find((m) => m.text.startsWith(`Restore request ${label}`)), 30_000, 'approval card');
    expect(JSON.stringify(card.blocks)).toContain('OpenCRVS will be stopped');
    await waitFor(() => fake.ephemerals.find((e) => e.user === USERS.operator && e.text.includes('Approval requested')), 10_000, 'requester confirmation');
    for (const user of [USERS.approverA, USERS.approverB]) {
      const res = await clickButton(fake, target, { user, channel: card.channel, ts: card.ts, actionId: APPROVAL_ACTIONS.approve });
      expect(res.status).toBe(200);
    }

    // 4. The bot restarts Docker, dies with it, comes back and finishes.
    const summary = await waitFor(() => fake.thread(CHANNEL, card.ts).find((m) => /^(Done: restore|Restore of .* (stopped|refused))/.test(m.text)), 360_000, 'the restore to end').catch(async (err: unknown) => {
      throw new Error(`${String(err)}\nthread:\n${fake.thread(CHANNEL, card.ts).map((m) => m.text).join('\n---\n')}\nbot log:\n${(await bot?.logs())?.slice(-4000)}`);
    });
    const thread = fake.thread(CHANNEL, card.ts).map((m) => m.text);
    expect(summary.text, thread.join('\n---\n')).toMatch(/^Done: restore of set-/);
    // The bot's service has a task that the restart ended and a new one that finished the job.
    const tasks = await bot.tasks();
    expect(tasks.length, tasks.join('\n')).toBeGreaterThanOrEqual(2);
    expect(thread.join('\n')).toContain('not restarting it again');
    // Exactly one Docker restart and one redeploy; one summary; migrations Done, applied by the real service.
    expect(commandCounts(commands)).toEqual({ deploy: 1, restart: 1 });
    expect(thread.filter((t) => t.startsWith('Done: restore of'))).toHaveLength(1);
    expect(thread.find((t) => t.startsWith('Migrations'))).toMatch(/^Migrations: Done/);
    const after = await snapshotMongo(cfg.mongo.url, dbs);
    expect(after.data).toEqual(before.data);
    for (const db of dbs) expect(after.changelog[db]).toBe((before.changelog[db] ?? 0) + 3);
  });
});
