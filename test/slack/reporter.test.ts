/** Progress in a thread: one message edited at most every interval; 429s are waited out. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/fake-slack/index.ts';
import { createThreadReporter } from '../../src/slack/reporter.ts';
import { CHANNEL, startTestBot, USERS, type TestBot } from './helpers/bot.ts';
import { cardWhere, click, requestRestore } from './helpers/restore-flow.ts';

let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot();
});
afterAll(async () => {
  await bot?.close();
});

describe('thread reporter', () => {
  it('edits one progress message at most every minIntervalMs and ends with a summary', async () => {
    const root = await bot.surface.client.chat.postMessage({ channel: CHANNEL, text: 'Backup `x` queued' });
    const ts = root.ts!;
    const reporter = createThreadReporter(bot.surface.client, CHANNEL, ts, { minIntervalMs: 250 });
    const started = Date.now();
    for (let i = 1; i <= 100; i += 1) {
      reporter.progress(`mongo: ${i}%`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const elapsed = Date.now() - started;
    await reporter.finish({ ok: true, summary: 'Backup x complete: 4 stores, 123 MB', headline: 'Backup `x` complete' });
    const thread = bot.fake.thread(CHANNEL, ts);
    expect(thread.map((m) => m.text)).toEqual(['mongo: 100%', ':white_check_mark: Backup x complete: 4 stores, 123 MB']);
    const progress = thread[0]!;
    const writes = progress.edits.length + 1;
    expect(writes).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 2);
    expect(writes).toBeGreaterThanOrEqual(2);
    const stamps = bot.fake.calls.filter((c) => c.method === 'chat.update' && c.args['ts'] === progress.ts).map((c) => c.at);
    for (let i = 1; i < stamps.length - 1; i += 1) expect(stamps[i]! - stamps[i - 1]!).toBeGreaterThanOrEqual(240);
    expect(bot.fake.message(CHANNEL, ts)?.text).toBe(':white_check_mark: Backup `x` complete');
  });

  it('reports a failure as a failure', async () => {
    const root = await bot.surface.client.chat.postMessage({ channel: CHANNEL, text: 'Backup `y` queued' });
    const reporter = createThreadReporter(bot.surface.client, CHANNEL, root.ts!, { minIntervalMs: 50 });
    reporter.progress('elasticsearch: snapshot started');
    await reporter.finish({ ok: false, summary: 'Backup y PARTIAL: influxdb failed', headline: 'Backup `y` failed (partial)' });
    expect(bot.fake.message(CHANNEL, root.ts!)?.text).toBe(':x: Backup `y` failed (partial)');
  });
});

describe('rate limits', () => {
  it('a 429 on chat.update is retried after Retry-After and the card still ends up right', async () => {
    const card = await requestRestore(bot, USERS.operator);
    bot.fake.setRateLimit('chat.update', { times: 1, retryAfterSec: 1 });
    await click(bot, card, USERS.approverA, 'approve');
    await cardWhere(bot, card, (t) => t.includes('1 of 2') && t.includes(`<@${USERS.approverA}>`), 'card after 429');
    const updates = bot.fake.calls.filter((c) => c.method === 'chat.update' && c.args['ts'] === card.ts);
    expect(updates.map((u) => u.status)).toEqual([429, 200]);
    expect(updates[1]!.at - updates[0]!.at).toBeGreaterThanOrEqual(1000);
    await waitFor(() => bot.fake.ephemerals.find((e) => e.user === USERS.approverA && e.text.includes('approval is recorded')), 5000, 'clicker told');
  });
});
