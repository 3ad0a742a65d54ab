/**
 * `/restore <moment>` through the real receiver and the fake Slack: a moment outside the archive's
 * range is refused at once, naming the range, with no card; inside it, the card shows the moment, the
 * base backup, the WAL range and the nightly set the other stores return to, and the approved job
 * carries the moment. (The plan itself is tested on a real PostgreSQL in test/pitr.)
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sendSlashCommand, waitFor } from '../../src/fake-slack/index.ts';
import { CHANNEL, startTestBot, USERS, type TestBot } from './helpers/bot.ts';
import { cardText, cardWhere, click, ephemeralTo } from './helpers/restore-flow.ts';

let bot: TestBot;
beforeEach(async () => {
  bot = await startTestBot();
  bot.core.pitr = {
    from: new Date('2026-11-25T00:05:00Z'),
    to: new Date('2026-11-25T16:40:00Z'),
    plan: {
      base: { label: '2026-11-25', path: 'postgres/base-2026-11-25.tar', sha256: 'b'.repeat(64), timeline: 1, startLsn: '0/5000028', startSegment: '000000010000000000000005', walSegmentBytes: 16777216, consistentAt: new Date('2026-11-25T00:05:00Z'), stream: 's-20261120T000000Z' },
      completeAt: '2026-11-25T16:40:00.000Z',
      nightly: '2026-11-25',
    },
  };
});
afterEach(async () => {
  await bot?.close();
});

describe('/restore to a moment', () => {
  it('a moment outside the archive is refused at once, naming the possible range, with no card', async () => {
    const before = bot.fake.messages.length;
    await sendSlashCommand(bot.fake, bot.target, { command: '/restore', text: '2026-11-26T14:05', user: USERS.operator, channel: CHANNEL });
    const reply = await ephemeralTo(bot, USERS.operator, 'Cannot restore');
    expect(reply).toContain('possible: 2026-11-25T00:05:00.000Z → 2026-11-25T16:40:00.000Z');
    await new Promise((r) => setTimeout(r, 200));
    expect(bot.fake.messages.length).toBe(before);
    expect(bot.core.validations).toBe(0);
  });

  it('the card shows the moment, base backup, WAL range and the nightly set; the approved job carries the moment', async () => {
    await sendSlashCommand(bot.fake, bot.target, { command: '/restore', text: '2026-11-25T10:30+02:00', user: USERS.operator, channel: CHANNEL });
    const card = await waitFor(() => bot.fake.messages.find((m) => m.text.startsWith('Restore request 2026-11-25')), 10_000, 'the approval card');
    // The requester's confirmation is the command's last step: the card's ts is stored by then.
    await ephemeralTo(bot, USERS.operator, 'Approval requested');
    const text = cardText(card);
    expect(text).toContain('Restore to a moment: 2026-11-25 08:30:00');
    expect(text).toContain('base backup of `2026-11-25`');
    expect(text).toContain('segment `000000010000000000000005`');
    expect(text).toContain('archived up to 2026-11-25 16:40:00');
    expect(text).toContain('return to the nightly set `2026-11-25`');
    expect(await click(bot, card, USERS.approverA, 'approve')).toBe(200);
    expect(await click(bot, card, USERS.approverB, 'approve')).toBe(200);
    await cardWhere(bot, card, (t) => t.includes('*Approved* by'), 'approved card');
    expect(bot.core.restores).toHaveLength(1);
    expect(bot.core.restores[0]).toMatchObject({ label: '2026-11-25', at: '2026-11-25T08:30:00.000Z' });
  });
});
