/** `/backup drill [label]` through the fake Slack to the real receiver (signed requests). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendSlashCommand, waitFor } from '../../src/fake-slack/index.ts';
import { CHANNEL, startTestBot, USERS, type TestBot } from '../slack/helpers/bot.ts';

let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot();
});
afterAll(async () => {
  await bot?.close();
});

async function command(user: string, text: string): Promise<void> {
  const res = await sendSlashCommand(bot.fake, bot.target, { command: '/backup', text, user, channel: CHANNEL });
  expect(res.status).toBe(200);
}

describe('/backup drill', () => {
  it('queues a drill of the named set, with a root message saying live data is not touched', async () => {
    await command(USERS.operator, 'drill 2026-11-25');
    const root = await waitFor(() => bot.fake.messages.find((m) => m.text.includes('Restore drill of 2026-11-25 queued')), 10_000, 'root message');
    expect(root.text).toContain(`<@${USERS.operator}>`);
    expect(root.text).toContain('Live data is not touched');
    const req = await waitFor(() => bot.core.backups.find((b) => b.drill === true && b.label === '2026-11-25'), 10_000, 'enqueue');
    expect(req).toEqual({ label: '2026-11-25', requestedBy: USERS.operator, report: { channel: CHANNEL, threadTs: root.ts }, drill: true });
  });

  it('without a label drills the newest complete set', async () => {
    await command(USERS.operator, 'drill');
    await waitFor(() => bot.fake.messages.find((m) => m.text.includes('Restore drill of the newest complete set queued')), 10_000, 'root message');
    const req = await waitFor(() => bot.core.backups.find((b) => b.drill === true && b.label === undefined), 10_000, 'enqueue');
    expect(req.requestedBy).toBe(USERS.operator);
  });

  it('refuses a user who is not an operator, and a malformed label, starting nothing', async () => {
    const before = bot.core.backups.length;
    await command(USERS.outsider, 'drill');
    await waitFor(() => bot.fake.ephemerals.find((e) => e.user === USERS.outsider && e.text.includes('limited to operators'))?.text, 10_000, 'refusal');
    await command(USERS.operator, 'drill ../etc');
    await waitFor(() => bot.fake.ephemerals.find((e) => e.user === USERS.operator && e.text.includes('is not something I understand'))?.text, 10_000, 'bad input');
    expect(bot.core.backups.length).toBe(before);
  });
});
