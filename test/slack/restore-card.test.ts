/**
 * The approval card once its restore has ended: it must stop saying "queued; progress follows"
 * and show how it ended, and the failure report must notify people. Real Redis, the real
 * receiver, the real restore processor (through BullMQ) posting to the fake Slack.
 */
import { randomBytes } from 'node:crypto';
import { Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRestoreProcessor } from '../../jobs/restore.ts';
import type { BackupDeps } from '../../src/backup/deps.ts';
import type { RestoreRequest } from '../../src/core/ports.ts';
import { waitFor } from '../../src/fake-slack/index.ts';
import { acquireLock, LockBusyError } from '../../src/lock.ts';
import { createLogger } from '../../src/log.ts';
import { checkpointKey, createCheckpoint } from '../../src/restore/checkpoint.ts';
import { createAdapters } from '../../src/stores/registry.ts';
import { startTestBot, USERS, type TestBot } from './helpers/bot.ts';
import { cardText, cardWhere, click, hasButtons, requestRestore } from './helpers/restore-flow.ts';
import type { FakeMessage } from '../../src/fake-slack/index.ts';

let bot: TestBot;
const cleanups: Array<() => Promise<unknown>> = [];

beforeEach(async () => {
  bot = await startTestBot({ SLACK_ONCALL_GROUP: 'S0ONCALL', BACKUP_STORES: 'mongo' });
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  await bot?.close();
});

function backupDeps(): BackupDeps {
  const adapters = createAdapters(bot.config, createLogger('silent'));
  cleanups.push(() => Promise.allSettled([...adapters.values()].map((a) => a.close())));
  return { config: bot.config, logger: createLogger('silent'), adapters, botVersion: 'test' };
}

/** /restore, then two approvals: the card and the request the restore job receives. */
async function approvedRequest(): Promise<{ card: FakeMessage; req: RestoreRequest }> {
  const card = await requestRestore(bot, USERS.operator);
  await click(bot, card, USERS.approverA, 'approve');
  await cardWhere(bot, card, (t) => t.includes('1 of 2'), 'one approval');
  await click(bot, card, USERS.approverB, 'approve');
  const req = await waitFor(() => bot.core.restores[0], 5000, 'the restore request');
  cleanups.push(() => bot.redis.del(checkpointKey(req.requestId)));
  return { card, req };
}

/** A private key space for the operations lock, so other tests' locks do not get in the way. */
function ownRedis(): Redis {
  const prefix = `t-card-${randomBytes(4).toString('hex')}:`;
  const own = new Redis(bot.config.redisUrl, { maxRetriesPerRequest: null, keyPrefix: prefix });
  cleanups.push(async () => {
    own.disconnect();
    // Checkpoints and pins the job left under the prefix (SCAN patterns are not prefixed).
    const keys = await bot.redis.keys(`${prefix}*`);
    if (keys.length > 0) await bot.redis.del(...keys);
  });
  return own;
}

describe('approval card after the restore', () => {
  it('a refused restore (set gone) turns the card into "refused at <step>", and the thread names requester, approvers and on-call', async () => {
    const { card, req } = await approvedRequest();
    await cardWhere(bot, card, (t) => t.includes('is queued; progress follows'), 'approved card');
    // The set the card was shown for does not exist under this bot's backup root.
    const connection = new Redis(bot.config.redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue(`restore-card-${randomBytes(4).toString('hex')}`, { connection });
    const processor = createRestoreProcessor({ backup: backupDeps(), redis: ownRedis(), slack: bot.surface.client, lockWaitMs: 2000 });
    const worker = new Worker(queue.name, processor, { connection });
    cleanups.push(async () => {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      await connection.quit();
    });
    const job = await queue.add('restore', req, { jobId: req.requestId });
    await waitFor(async () => ((await job.getState()) === 'failed' ? true : undefined), 30_000, 'the restore job to fail');

    const ended = await cardWhere(bot, card, (t) => t.includes('Restore refused at Check the set'), 'the card showing the refusal');
    expect(cardText(ended)).toContain('nothing was touched — see thread');
    expect(cardText(ended)).not.toContain('queued');
    expect(hasButtons(ended)).toBe(false);
    const thread = bot.fake.thread(card.channel, card.ts).map((m) => m.text).join('\n---\n');
    expect(thread).toContain('refused at step "Check the set"');
    expect(thread).toContain(`<!subteam^S0ONCALL> · Requested by <@${USERS.operator}>, approved by <@${USERS.approverA}>, <@${USERS.approverB}>`);
  }, 60_000);

  it('a restore that never got the operations lock: the card says it did not run, the thread tells the people concerned', async () => {
    const { card, req } = await approvedRequest();
    const own = ownRedis();
    const nightly = await acquireLock(own, 'backup (nightly)', { waitMs: 0 });
    cleanups.push(() => nightly.release());
    const connection = new Redis(bot.config.redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue(`restore-card-${randomBytes(4).toString('hex')}`, { connection });
    cleanups.push(async () => {
      await queue.obliterate({ force: true });
      await queue.close();
      await connection.quit();
    });
    const job = await Job.create(queue, 'restore', req, { jobId: req.requestId });
    const processor = createRestoreProcessor({ backup: backupDeps(), redis: own, slack: bot.surface.client, lockWaitMs: 300 });
    // Without a worker token the job cannot be put back to wait: this is its last attempt.
    const err = await processor(job).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockBusyError);

    const ended = await cardWhere(bot, card, (t) => t.includes('Restore refused'), 'the card showing the restore did not run');
    expect(cardText(ended)).toContain('nothing was touched — see thread');
    const thread = bot.fake.thread(card.channel, card.ts).map((m) => m.text).join('\n---\n');
    expect(thread).toContain(`Restore of ${req.label} did not start: nothing was touched`);
    expect(thread).toContain('backup (nightly)');
    expect(thread).toContain(`<!subteam^S0ONCALL> · Requested by <@${USERS.operator}>`);
  }, 60_000);

  it('a restore that ends before the approving click redraws the card: the card shows the end, not "queued"', async () => {
    const card = await requestRestore(bot, USERS.operator);
    // The job runs as soon as it is queued; a refusal in preflight takes milliseconds.
    const enqueue = bot.core.enqueueRestore.bind(bot.core);
    bot.core.enqueueRestore = async (req) => {
      const queued = await enqueue(req);
      cleanups.push(() => bot.redis.del(checkpointKey(req.requestId)));
      await createCheckpoint(bot.redis, req.requestId).setMeta({ outcome: 'refused', failedStep: 'verify' });
      return queued;
    };
    await click(bot, card, USERS.approverA, 'approve');
    await cardWhere(bot, card, (t) => t.includes('1 of 2'), 'one approval');
    await click(bot, card, USERS.approverB, 'approve');
    const ended = await cardWhere(bot, card, (t) => t.includes('Restore refused at Check the set'), 'the card showing the refusal');
    expect(cardText(ended)).not.toContain('queued');
    expect(cardText(ended)).toContain(`<@${USERS.approverA}>, <@${USERS.approverB}>`);
  });
});
