/** Steps of the restore approval flow as a user performs them. */
import { expect } from 'vitest';
import { clickButton, sendSlashCommand, waitFor, type FakeMessage } from '../../../src/fake-slack/index.ts';
import { APPROVAL_ACTIONS } from '../../../src/slack/blocks/approval-card.ts';
import { CHANNEL, type TestBot } from './bot.ts';

/** Runs /restore and returns the approval card once posted (with its timestamp set in Redis). */
export async function requestRestore(bot: TestBot, user: string, label = '2026-11-25'): Promise<FakeMessage> {
  const before = bot.fake.messages.length;
  const res = await sendSlashCommand(bot.fake, bot.target, { command: '/restore', text: label, user, channel: CHANNEL });
  expect(res.status).toBe(200);
  const card = await waitFor(() => bot.fake.messages.slice(before).find((m) => m.text.startsWith(`Restore request ${label}`)), 5000, 'approval card');
  // The requester's confirmation is the last step of the command: the card's ts is stored by then.
  await waitFor(() => bot.fake.ephemerals.find((e) => e.user === user && e.text.includes('Approval requested')), 5000, 'requester confirmation');
  return card;
}

export type Kind = keyof typeof APPROVAL_ACTIONS;

export async function click(bot: TestBot, card: FakeMessage, user: string, kind: Kind): Promise<number> {
  const res = await clickButton(bot.fake, bot.target, { user, channel: card.channel, ts: card.ts, actionId: APPROVAL_ACTIONS[kind] });
  return res.status;
}

/** The card's text of all blocks, as a reader sees it. */
export function cardText(card: FakeMessage): string {
  return JSON.stringify(card.blocks);
}

export function hasButtons(card: FakeMessage): boolean {
  return card.blocks.some((b) => (b as { type?: string }).type === 'actions');
}

/** Waits until the card (edited in place) satisfies `probe`. */
export function cardWhere(bot: TestBot, card: FakeMessage, probe: (text: string) => boolean, what: string): Promise<FakeMessage> {
  return waitFor(() => {
    const now = bot.fake.message(card.channel, card.ts);
    return now && probe(cardText(now)) ? now : undefined;
  }, 5000, what);
}

export function ephemeralTo(bot: TestBot, user: string, includes: string): Promise<string> {
  return waitFor(() => bot.fake.ephemerals.find((e) => e.user === user && e.text.includes(includes))?.text, 5000, `message "${includes}" to ${user}`);
}

