/** /backup as users see it: refusals, the root message with its thread, sub-commands, audit. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudit } from '../../src/audit/log.ts';
import { sendSlashCommand, waitFor } from '../../src/fake-slack/index.ts';
import { CHANNEL, startTestBot, USERS, type TestBot } from './helpers/bot.ts';

let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot();
});
afterAll(async () => {
  await bot?.close();
});

async function command(user: string, text: string, cmd = '/backup'): Promise<void> {
  const res = await sendSlashCommand(bot.fake, bot.target, { command: cmd, text, user, channel: CHANNEL });
  expect(res.status).toBe(200);
}

function replyTo(user: string, includes: string): Promise<string> {
  return waitFor(() => bot.fake.ephemerals.find((e) => e.user === user && e.text.includes(includes))?.text, 5000, `reply "${includes}" to ${user}`);
}

describe('/backup', () => {
  it('refuses a user who is not an operator, privately, and starts nothing', async () => {
    await command(USERS.outsider, 'nightly-extra');
    await replyTo(USERS.outsider, 'limited to operators');
    expect(bot.core.backups).toHaveLength(0);
    expect(bot.fake.messages.filter((m) => m.text.includes('nightly-extra'))).toHaveLength(0);
  });

  it('refuses a guest account even when it is on the operator list', async () => {
    await command(USERS.guest, 'guest-try');
    await replyTo(USERS.guest, 'limited to operators');
    expect(bot.core.backups).toHaveLength(0);
  });

  it('queues a labelled backup: root message in the channel, job told where to report', async () => {
    await command(USERS.operator, 'before-upgrade');
    const root = await waitFor(() => bot.fake.messages.find((m) => m.text.includes('Backup `before-upgrade` queued')), 5000, 'root message');
    expect(root.channel).toBe(CHANNEL);
    expect(root.text).toContain(`<@${USERS.operator}>`);
    const req = await waitFor(() => bot.core.backups.find((b) => b.label === 'before-upgrade'), 5000, 'enqueue');
    expect(req).toEqual({ label: 'before-upgrade', requestedBy: USERS.operator, report: { channel: CHANNEL, threadTs: root.ts } });
  });

  it('without a label shows today\'s date and lets the core pick the label', async () => {
    const before = bot.core.backups.length;
    await command(USERS.operator, '');
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: bot.config.timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(Date.now());
    await waitFor(() => bot.fake.messages.find((m) => m.text.includes(`Backup \`${today}\` queued`)), 5000, 'root message');
    await waitFor(() => bot.core.backups.length > before, 5000, 'enqueue');
    expect(bot.core.backups.at(-1)?.label).toBeUndefined();
  });

  it('explains a bad label or unknown sub-command instead of guessing', async () => {
    await command(USERS.operator, 'rm -rf');
    await replyTo(USERS.operator, 'is not something I understand');
    await command(USERS.operator, '../etc');
    const texts = await waitFor(() => bot.fake.ephemerals.filter((e) => e.text.includes('not something I understand')).length >= 2, 5000, 'second refusal');
    expect(texts).toBe(true);
    await command(USERS.operator, 'stauts');
    await replyTo(USERS.operator, 'Did you mean `/backup status`?');
    expect(bot.core.backups.some((b) => b.label === '../etc' || b.label === 'rm' || b.label === 'stauts')).toBe(false);
  });

  it('shows status, list and history to operators', async () => {
    await command(USERS.operator, 'status');
    await replyTo(USERS.operator, 'Last complete set: `2026-11-25`');
    await command(USERS.operator, 'list');
    await replyTo(USERS.operator, '*Backup sets*');
    await command(USERS.operator, 'history');
    await replyTo(USERS.operator, '*Recent runs*');
  });

  it('writes every command to the audit log with user and outcome', async () => {
    const entries = await readAudit(bot.config.backupRoot);
    const refused = entries.find((e) => e.user === USERS.outsider && e.action === '/backup nightly-extra');
    expect(refused?.outcome).toBe('refused: not an operator');
    const queued = entries.find((e) => e.action === '/backup before-upgrade');
    expect(queued).toMatchObject({ user: USERS.operator, outcome: 'queued backup-before-upgrade' });
    expect(entries.filter((e) => e.user === USERS.operator).length).toBeGreaterThanOrEqual(6);
  });
});
