/**
 * A backup asked for in Slack: one root message per operation. The command's "queued" message is
 * what the backup job turns into the report (details in its thread) when the request came from the
 * report channel or no channel is configured; from another channel it points to the report.
 * Real Redis, MongoDB and BullMQ worker; the fake Slack Web API.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startWorkers } from '../../jobs/index.ts';
import { createCore } from '../../src/core/core.ts';
import type { FakeMessage } from '../../src/fake-slack/index.ts';
import { createLogger } from '../../src/log.ts';
import { nextNightlyRun } from '../../src/queue/scheduler.ts';
import { backupQueuedRoot } from '../../src/slack/blocks/backup.ts';
import { CHANNEL, makeEnv, seedMongo, until, type Env } from './helpers.ts';

const OPS = 'C0OPSROOM';
const USER = 'U0OPERATOR';

const envs: Env[] = [];
afterEach(async () => {
  await Promise.all(envs.splice(0).map((e) => e.close()));
});

async function env(overrides: Record<string, string> = {}): Promise<Env> {
  const e = await makeEnv(overrides);
  envs.push(e);
  await seedMongo(e.config.mongo.url, e.config.mongo.databases[0] as string, 20);
  return e;
}

/** What /backup does (post the root message, enqueue with it), then the worker runs the job to its end. */
async function backupFromSlack(e: Env, channel: string, label: string): Promise<FakeMessage> {
  const queued = await e.slack.chat.postMessage({ channel, ...backupQueuedRoot(label, USER, { channel, reportChannel: e.config.slack.channel }) });
  const ts = queued.ts ?? '';
  await runJob(e, label, { channel, threadTs: ts });
  const root = e.fake.message(channel, ts);
  if (!root) throw new Error('the request message is gone');
  return root;
}

/** Enqueues the backup as the command does and lets the real worker run it to its end. */
async function runJob(e: Env, label: string, report: { channel: string; threadTs: string }): Promise<void> {
  const workers = startWorkers({
    connection: e.redis,
    queues: e.queues,
    logger: createLogger('silent'),
    backup: { backup: e.backup, redis: e.lockRedis, history: e.history, offsite: undefined, slack: e.slack, nextRun: () => nextNightlyRun(e.queues), lockWaitMs: 5000 },
    deadman: { redis: e.redis, prefix: e.prefix, backupRoot: e.config.backupRoot, slack: e.slack, channel: CHANNEL, oncallGroup: undefined, timeZone: e.config.timeZone },
  });
  try {
    const core = createCore({ backup: e.backup, queues: e.queues, redis: e.lockRedis, history: e.history, offsite: undefined });
    const { jobId } = await core.enqueueBackup({ label, requestedBy: USER, report });
    const state = await until('the backup job', 120_000, async () => {
      const s = await (await e.queues.backup.getJob(jobId))?.getState();
      return s === 'completed' || s === 'failed' ? s : undefined;
    });
    expect(state).toBe('completed');
  } finally {
    await workers.close();
  }
}

function roots(e: Env, channel: string): FakeMessage[] {
  return e.fake.messages.filter((m) => m.channel === channel && m.threadTs === undefined);
}

function threadText(e: Env, m: FakeMessage): string {
  return e.fake.thread(m.channel, m.ts).map((r) => r.text).join('\n---\n');
}

describe('backup requested from Slack', () => {
  it('in the report channel: the request message becomes the report, details in its thread, no second root', async () => {
    const e = await env();
    const root = await backupFromSlack(e, CHANNEL, 'same-channel-1');
    expect(roots(e, CHANNEL)).toHaveLength(1);
    expect(e.fake.messages.every((m) => m.channel === CHANNEL)).toBe(true);
    // queued → running → report, all on one message.
    expect(root.edits[0]?.text).toContain('Backup `same-channel-1` queued by <@U0OPERATOR>');
    expect(root.edits.some((v) => v.text.includes('is running'))).toBe(true);
    const report = JSON.stringify(root.blocks);
    expect(report).toContain('Backup complete');
    expect(report).toContain('same-channel-1');
    expect(report).toContain('✓ *mongo*');
    const thread = threadText(e, root);
    expect(thread).toContain('*Verification:* ok');
    expect(thread).not.toContain('report in');
  }, 180_000);

  it('in another channel: one report root in the report channel; the request message points to it', async () => {
    const e = await env();
    const root = await backupFromSlack(e, OPS, 'other-channel-1');
    expect(roots(e, CHANNEL)).toHaveLength(1);
    expect(roots(e, OPS)).toHaveLength(1);
    const report = roots(e, CHANNEL)[0] as FakeMessage;
    expect(JSON.stringify(report.blocks)).toContain('Backup complete');
    expect(threadText(e, report)).toContain('*Verification:* ok');
    // The request message no longer says "queued": outcome and where the report is.
    expect(root.edits[0]?.text).toContain(`The report goes to <#${CHANNEL}>`);
    expect(root.text).toContain('Backup complete');
    expect(root.text).toContain(`report in <#${CHANNEL}>`);
    expect(root.text).not.toContain('queued');
    // Its thread gets one short reply, which mentions the requester.
    const replies = e.fake.thread(OPS, root.ts);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.text).toContain('<@U0OPERATOR>');
    expect(replies[0]?.text).toContain(`(report in <#${CHANNEL}>)`);
  }, 180_000);

  it('the request message was deleted before the run: the report gets a root of its own, still one', async () => {
    const e = await env();
    await runJob(e, 'lost-root-1', { channel: CHANNEL, threadTs: '1000000000.000001' });
    const [report, ...others] = roots(e, CHANNEL);
    expect(others).toHaveLength(0);
    expect(JSON.stringify(report?.blocks)).toContain('Backup complete');
    expect(threadText(e, report as FakeMessage)).toContain('*Verification:* ok');
  }, 180_000);

  it('with no SLACK_CHANNEL: the report still comes, on the request message in its own channel', async () => {
    const e = await env({ SLACK_CHANNEL: '' });
    expect(e.config.slack.channel).toBeUndefined();
    const root = await backupFromSlack(e, OPS, 'no-channel-1');
    expect(root.edits[0]?.text).toContain('This message shows its progress and becomes the report');
    expect(roots(e, OPS)).toHaveLength(1);
    expect(e.fake.messages.every((m) => m.channel === OPS)).toBe(true);
    expect(JSON.stringify(root.blocks)).toContain('Backup complete');
    expect(threadText(e, root)).toContain('*Verification:* ok');
  }, 180_000);
});
