/** Two-person approval of a restore, against real Redis, the real receiver and the fake Slack. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readAudit } from '../../src/audit/log.ts';
import { sendSlashCommand, waitFor } from '../../src/fake-slack/index.ts';
import { CHANNEL, startTestBot, USERS, type TestBot } from './helpers/bot.ts';
import { cardText, cardWhere, click, ephemeralTo, hasButtons, requestRestore } from './helpers/restore-flow.ts';

let bot: TestBot;
beforeEach(async () => {
  bot = await startTestBot();
});
afterEach(async () => {
  await bot?.close();
});

describe('restore approval', () => {
  it('an approved restore that cannot be queued: the card says so (void, with why) instead of "queued"', async () => {
    bot.core.enqueueRestore = async () => {
      throw new Error('Redis is unreachable');
    };
    const card = await requestRestore(bot, USERS.operator);
    await click(bot, card, USERS.approverA, 'approve');
    await cardWhere(bot, card, (t) => t.includes('1 of 2'), 'one approval');
    await click(bot, card, USERS.approverB, 'approve');
    const after = await cardWhere(bot, card, (t) => t.includes('*Void*'), 'the void card');
    expect(cardText(after)).toContain('could not be queued (Redis is unreachable)');
    expect(cardText(after)).not.toContain('is queued');
    expect(hasButtons(after)).toBe(false);
  });

  it('a set without PostgreSQL (made on v1.8) says before approval that PostgreSQL is left as it is', async () => {
    bot.core.untouched = ['postgres'];
    const card = await requestRestore(bot, USERS.operator);
    expect(cardText(card)).toMatch(/Left as it is now:\* \*postgres\* — the set `2026-11-25` holds no backup of it .* neither deleted nor restored/);
    bot.core.untouched = [];
    const other = await requestRestore(bot, USERS.operator);
    expect(cardText(other)).not.toContain('Left as it is now');
  });

  it('two distinct approvers → exactly one restore job, card shows who approved, requester told', async () => {
    const card = await requestRestore(bot, USERS.operator);
    const first = cardText(card);
    expect(first).toContain(`<@${USERS.operator}>`);
    expect(first).toContain('made 3 h ago');
    expect(first).toContain('now 1,200 → in set 1,150');
    expect(first).toContain('Current data will be replaced');
    expect(first).toContain('0 of 2');
    const approve = card.blocks.flatMap((b) => ((b as { elements?: Array<{ action_id?: string; style?: string; confirm?: unknown }> }).elements ?? [])).find((e) => e.action_id === 'restore_approve');
    expect(approve?.style).toBe('danger');
    expect(approve?.confirm).toBeDefined();

    expect(await click(bot, card, USERS.approverA, 'approve')).toBe(200);
    const afterA = await cardWhere(bot, card, (t) => t.includes('1 of 2') && t.includes(`<@${USERS.approverA}>`), 'card after A');
    expect(cardText(afterA)).toContain('still needs 1 more approval');
    expect(hasButtons(afterA)).toBe(true);
    expect(bot.core.restores).toHaveLength(0);

    expect(await click(bot, card, USERS.approverB, 'approve')).toBe(200);
    const done = await cardWhere(bot, card, (t) => t.includes('*Approved* by'), 'approved card');
    expect(hasButtons(done)).toBe(false);
    expect(cardText(done)).toContain(`<@${USERS.approverA}>, <@${USERS.approverB}>`);
    expect(bot.core.restores).toHaveLength(1);
    const job = bot.core.restores[0];
    expect(job).toMatchObject({ label: '2026-11-25', manifestSha256: 'a'.repeat(64), requestedBy: USERS.operator, approvedBy: [USERS.approverA, USERS.approverB], report: { channel: CHANNEL, threadTs: card.ts } });
    expect(job?.requestId).toMatch(/^restore-2026-11-25-[0-9a-f]{10}$/);
    await ephemeralTo(bot, USERS.operator, 'was approved by');

    // The audit entry is the click's last step: wait for it rather than race it.
    const audit = await waitFor(async () => {
      const entries = await readAudit(bot.config.backupRoot, { request: job?.requestId });
      return entries.length === 3 ? entries : undefined;
    }, 5000, 'three audit entries');
    expect(audit.map((e) => `${e.user} ${e.action} ${e.outcome}`)).toEqual([
      `${USERS.operator} /restore 2026-11-25 requested`,
      `${USERS.approverA} approve recorded (1 of 2)`,
      `${USERS.approverB} approve approved: restore queued ${job?.requestId}`,
    ]);
  });

  it("the requester's own click does not count, even when they are an approver", async () => {
    const card = await requestRestore(bot, USERS.both);
    await click(bot, card, USERS.both, 'approve');
    await ephemeralTo(bot, USERS.both, 'Your own approval does not count');
    await click(bot, card, USERS.approverA, 'approve');
    const after = await cardWhere(bot, card, (t) => t.includes('1 of 2'), 'card with one approval');
    expect(cardText(after)).not.toContain(`(<@${USERS.both}>`);
    expect(bot.core.restores).toHaveLength(0);
  });

  it('one approver clicking twice is still one approval', async () => {
    const card = await requestRestore(bot, USERS.operator);
    await click(bot, card, USERS.approverA, 'approve');
    await cardWhere(bot, card, (t) => t.includes('1 of 2'), 'one approval');
    await click(bot, card, USERS.approverA, 'approve');
    await ephemeralTo(bot, USERS.approverA, 'already approved');
    expect(bot.core.restores).toHaveLength(0);
    expect(cardText(bot.fake.message(card.channel, card.ts)!)).toContain('1 of 2');
  });

  it('users who are not approvers cannot approve; a group member can', async () => {
    const card = await requestRestore(bot, USERS.operator);
    await click(bot, card, USERS.outsider, 'approve');
    await ephemeralTo(bot, USERS.outsider, 'Only approvers can approve');
    await click(bot, card, USERS.guest, 'approve');
    await ephemeralTo(bot, USERS.guest, 'Only approvers can approve');
    await click(bot, card, USERS.operator2, 'approve');
    await ephemeralTo(bot, USERS.operator2, 'Only approvers can approve');
    await click(bot, card, USERS.groupApprover, 'approve');
    await cardWhere(bot, card, (t) => t.includes('1 of 2') && t.includes(`<@${USERS.groupApprover}>`), 'group approval counted');
    expect(bot.core.restores).toHaveLength(0);
  });

  it('a reject by any approver ends the request', async () => {
    const card = await requestRestore(bot, USERS.operator);
    await click(bot, card, USERS.approverA, 'approve');
    await cardWhere(bot, card, (t) => t.includes('1 of 2'), 'one approval');
    await click(bot, card, USERS.approverB, 'reject');
    const done = await cardWhere(bot, card, (t) => t.includes('*Rejected* by') && t.includes(`<@${USERS.approverB}>`), 'rejected card');
    expect(hasButtons(done)).toBe(false);
    await ephemeralTo(bot, USERS.operator, 'was rejected by');
    expect(bot.core.restores).toHaveLength(0);
  });

  it('the requester can cancel; nobody else can', async () => {
    const card = await requestRestore(bot, USERS.operator);
    await click(bot, card, USERS.approverA, 'cancel');
    await ephemeralTo(bot, USERS.approverA, 'Only the requester can cancel');
    expect(hasButtons(bot.fake.message(card.channel, card.ts)!)).toBe(true);
    await click(bot, card, USERS.operator, 'cancel');
    const done = await cardWhere(bot, card, (t) => t.includes('*Cancelled*'), 'cancelled card');
    expect(hasButtons(done)).toBe(false);
    await ephemeralTo(bot, USERS.operator, 'You cancelled');
  });

  it('an approval is void when the set changed after the request', async () => {
    const card = await requestRestore(bot, USERS.operator);
    await click(bot, card, USERS.approverA, 'approve');
    await cardWhere(bot, card, (t) => t.includes('1 of 2'), 'one approval');
    const set = bot.core.sets.get('2026-11-25')!;
    bot.core.sets.set('2026-11-25', { ...set, manifestSha256: 'b'.repeat(64) });
    await click(bot, card, USERS.approverB, 'approve');
    const done = await cardWhere(bot, card, (t) => t.includes('*Void*'), 'void card');
    expect(cardText(done)).toContain('manifest changed');
    expect(hasButtons(done)).toBe(false);
    expect(bot.core.restores).toHaveLength(0);
    await ephemeralTo(bot, USERS.operator, 'is void');
  });

  it("an approval is void when a file of the set changed size or modification time after the request's verification; clicks read no file", async () => {
    const card = await requestRestore(bot, USERS.operator);
    const verifiedAtRequest = bot.core.validations;
    await click(bot, card, USERS.approverA, 'approve');
    await cardWhere(bot, card, (t) => t.includes('1 of 2'), 'one approval');
    // The click compared the identities the request recorded (read back from Redis), without a full verification.
    expect(bot.core.confirmedWith).toEqual(bot.core.files);
    expect(bot.core.validations).toBe(verifiedAtRequest);
    bot.core.changes = ['mongo/hearth-dev-2026-11-25.gz: 1300 bytes, 1234 when it was verified'];
    await click(bot, card, USERS.approverB, 'approve');
    const done = await cardWhere(bot, card, (t) => t.includes('*Void*'), 'void card');
    expect(cardText(done)).toContain("files changed after the request was verified (mongo/hearth-dev-2026-11-25.gz: 1300 bytes, 1234 when it was verified)");
    expect(hasButtons(done)).toBe(false);
    expect(bot.core.restores).toHaveLength(0);
    expect(bot.core.validations).toBe(verifiedAtRequest);
  });

  it('an unknown label gets an explanation with the nearest sets, and no card', async () => {
    const before = bot.fake.messages.length;
    await sendSlashCommand(bot.fake, bot.target, { command: '/restore', text: '2026-11-24', user: USERS.operator, channel: CHANNEL });
    const reply = await ephemeralTo(bot, USERS.operator, 'Cannot restore');
    expect(reply).toContain('no backup set named 2026-11-24');
    expect(reply).toContain('`2026-11-25`');
    await new Promise((r) => setTimeout(r, 200));
    expect(bot.fake.messages.length).toBe(before);
  });

  it('a non-operator cannot request a restore', async () => {
    await sendSlashCommand(bot.fake, bot.target, { command: '/restore', text: '2026-11-25', user: USERS.approverA, channel: CHANNEL });
    await ephemeralTo(bot, USERS.approverA, 'limited to operators');
    expect(bot.core.validations).toBe(0);
  });

  it('50 simultaneous approve clicks from two approvers enqueue exactly one restore', async () => {
    bot.core.validateDelayMs = 20;
    const card = await requestRestore(bot, USERS.operator);
    const clicks = Array.from({ length: 50 }, (_, i) => click(bot, card, i % 2 === 0 ? USERS.approverA : USERS.approverB, 'approve'));
    const statuses = await Promise.all(clicks);
    expect(statuses.every((s) => s === 200)).toBe(true);
    await cardWhere(bot, card, (t) => t.includes('*Approved* by'), 'approved card');
    // Let every click finish its work before counting.
    await waitFor(async () => (await readAudit(bot.config.backupRoot)).filter((e) => e.action === 'approve').length === 50, 10_000, '50 audited clicks');
    expect(bot.core.restores).toHaveLength(1);
    expect(new Set(bot.core.restores[0]?.approvedBy)).toEqual(new Set([USERS.approverA, USERS.approverB]));
    const final = bot.fake.message(card.channel, card.ts)!;
    expect(hasButtons(final)).toBe(false);
    expect(cardText(final)).toContain('*Approved* by');
  });
});
