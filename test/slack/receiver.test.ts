/** The HTTP receiver: signed requests are acked, anything else is refused before any listener runs. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendSlashCommand, slashCommandBody, signedRequest, waitFor } from '../../src/fake-slack/index.ts';
import { computeSignature, verifySignature } from '../../src/slack/signature.ts';
import { CHANNEL, startTestBot, USERS, type TestBot } from './helpers/bot.ts';

let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot();
});
afterAll(async () => {
  await bot?.close();
});

const nowSec = (): number => Math.floor(Date.now() / 1000);

describe('signed requests', () => {
  it('accepts a correctly signed slash command and answers through response_url', async () => {
    const res = await sendSlashCommand(bot.fake, bot.target, { command: '/backup', text: 'help', user: USERS.outsider, channel: CHANNEL });
    expect(res.status).toBe(200);
    const reply = await waitFor(() => bot.fake.ephemerals.find((e) => e.user === USERS.outsider && e.text.includes('/backup status')), 5000, 'help reply');
    expect(reply.via).toBe('response_url');
  });

  it('refuses a forged signature with 401 and runs nothing', async () => {
    const before = bot.fake.ephemerals.length;
    const body = slashCommandBody(bot.fake, { command: '/backup', text: 'forged-label', user: USERS.operator, channel: CHANNEL });
    const res = await signedRequest(bot.target.url, 'not-the-secret', body);
    expect(res.status).toBe(401);
    const tampered = await signedRequest(bot.target.url, bot.target.signingSecret, body, { signature: `v0=${'0'.repeat(64)}` });
    expect(tampered.status).toBe(401);
    await new Promise((r) => setTimeout(r, 300));
    expect(bot.core.backups).toHaveLength(0);
    expect(bot.fake.ephemerals.length).toBe(before);
  });

  it('refuses a timestamp 6 minutes old (replay) with 401', async () => {
    const res = await sendSlashCommand(bot.fake, bot.target, { command: '/backup', text: 'old', user: USERS.operator, channel: CHANNEL }, { timestamp: nowSec() - 6 * 60 });
    expect(res.status).toBe(401);
  });

  it('refuses a timestamp 6 minutes in the future with 401 (Bolt alone would accept it)', async () => {
    const res = await sendSlashCommand(bot.fake, bot.target, { command: '/backup', text: 'future', user: USERS.operator, channel: CHANNEL }, { timestamp: nowSec() + 6 * 60 });
    expect(res.status).toBe(401);
    await new Promise((r) => setTimeout(r, 300));
    expect(bot.core.backups).toHaveLength(0);
  });

  it('refuses a request without signature headers', async () => {
    const res = await fetch(bot.target.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'command=%2Fbackup' });
    expect(res.status).toBe(401);
  });
});

describe('verifySignature', () => {
  const secret = 's3cret';
  const body = Buffer.from('a=1&b=2');
  const at = 1_800_000_000_000;
  const sign = (ts: number): { signature: string; timestamp: string } => ({ signature: computeSignature(secret, String(ts), body), timestamp: String(ts) });

  it('accepts up to 5 minutes of skew either way, not more', () => {
    const t = at / 1000;
    expect(verifySignature(secret, sign(t - 300), body, at).ok).toBe(true);
    expect(verifySignature(secret, sign(t + 300), body, at).ok).toBe(true);
    expect(verifySignature(secret, sign(t - 301), body, at)).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(verifySignature(secret, sign(t + 301), body, at)).toEqual({ ok: false, reason: 'future_timestamp' });
  });

  it('refuses a changed body and malformed headers', () => {
    const t = at / 1000;
    expect(verifySignature(secret, sign(t), Buffer.from('a=1&b=3'), at)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(secret, { signature: 'v0=abc', timestamp: String(t) }, body, at)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(secret, { signature: sign(t).signature.replace('v0=', 'v1='), timestamp: String(t) }, body, at)).toEqual({ ok: false, reason: 'bad_version' });
    expect(verifySignature(secret, { signature: sign(t).signature, timestamp: '12abc' }, body, at)).toEqual({ ok: false, reason: 'bad_timestamp' });
  });
});
