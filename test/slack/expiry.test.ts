/** Approval requests expire: the card says so, buttons go, late clicks count for nothing. */
import { afterEach, describe, expect, it } from 'vitest';
import { blockActionBody, signedRequest } from '../../src/fake-slack/index.ts';
import { APPROVAL_ACTIONS } from '../../src/slack/blocks/approval-card.ts';
import { startTestBot, USERS, type TestBot } from './helpers/bot.ts';
import { cardText, cardWhere, click, ephemeralTo, hasButtons, requestRestore } from './helpers/restore-flow.ts';

let bot: TestBot | undefined;
afterEach(async () => {
  await bot?.close();
  bot = undefined;
});

/** A clock the test moves forward (approval expiry is 30 minutes by default). */
function clock(): { now: () => number; advance: (ms: number) => void } {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms) => (offset += ms) };
}

describe('approval expiry', () => {
  it('the sweep expires an unanswered request, updates the card and tells the requester', async () => {
    const c = clock();
    const b = (bot = await startTestBot({ APPROVAL_EXPIRY_MINUTES: '30' }, { now: c.now, sweepIntervalMs: 100 }));
    const card = await requestRestore(b, USERS.operator);
    await click(b, card, USERS.approverA, 'approve');
    await cardWhere(b, card, (t) => t.includes('1 of 2'), 'one approval');
    // A click prepared on the card as it was before expiry, delivered after it.
    const late = blockActionBody(b.fake, { user: USERS.approverB, channel: card.channel, ts: card.ts, actionId: APPROVAL_ACTIONS.approve });
    c.advance(29 * 60_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(hasButtons(b.fake.message(card.channel, card.ts)!)).toBe(true);
    c.advance(2 * 60_000);
    const expired = await cardWhere(b, card, (t) => t.includes('*Expired* with 1 of 2 approvals'), 'expired card');
    expect(hasButtons(expired)).toBe(false);
    await ephemeralTo(b, USERS.operator, 'expired with 1 of 2 approvals');
    expect((await signedRequest(b.target.url, b.target.signingSecret, late)).status).toBe(200);
    await ephemeralTo(b, USERS.approverB, 'already expired');
    expect(b.core.restores).toHaveLength(0);
  });

  it('a click after expiry expires the request even before the sweep runs', async () => {
    const c = clock();
    const b = (bot = await startTestBot({}, { now: c.now, sweepIntervalMs: 3_600_000 }));
    const card = await requestRestore(b, USERS.operator);
    await click(b, card, USERS.approverA, 'approve');
    await cardWhere(b, card, (t) => t.includes('1 of 2'), 'one approval');
    c.advance(31 * 60_000);
    await click(b, card, USERS.approverB, 'approve');
    const expired = await cardWhere(b, card, (t) => t.includes('*Expired*'), 'expired card');
    expect(cardText(expired)).toContain(`<@${USERS.approverA}>`);
    expect(hasButtons(expired)).toBe(false);
    await ephemeralTo(b, USERS.approverB, 'This request is expired');
    expect(b.core.restores).toHaveLength(0);
  });
});
