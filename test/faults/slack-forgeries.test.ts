/**
 * Issue 11, fault matrix: forged, replayed, stale, future-dated and body-tampered Slack requests
 * sent to the bot's real HTTP receiver. None may be accepted, and none may reach a listener.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slashCommandBody, signedRequest, waitFor, type SignedResponse } from '../../src/fake-slack/index.ts';
import { CHANNEL, SECRET, startTestBot, USERS, type TestBot } from '../slack/helpers/bot.ts';

let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot();
});
afterAll(async () => {
  await bot?.close();
});

const nowSec = (): number => Math.floor(Date.now() / 1000);
const sign = (secret: string, ts: number, body: string): string => `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;

/** Sends exactly these bytes and headers (a replay must be byte-identical). */
async function raw(body: string, headers: Record<string, string>): Promise<number> {
  const res = await fetch(bot.target.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body, signal: AbortSignal.timeout(10_000) });
  await res.text();
  return res.status;
}

function backupBody(text = ''): string {
  return slashCommandBody(bot.fake, { command: '/backup', text, user: USERS.operator, channel: CHANNEL });
}

describe('the HTTP receiver under forged and replayed requests', () => {
  it('accepts 0 of 125 forged, replayed, stale, future-dated or tampered /backup requests', async () => {
    const statuses: Array<{ kind: string; status: number }> = [];
    const record = async (kind: string, p: Promise<SignedResponse | number>): Promise<void> => {
      const r = await p;
      statuses.push({ kind, status: typeof r === 'number' ? r : r.status });
    };

    const queuedBefore = bot.core.backups.length;
    // One genuine request: accepted once (the baseline that shows the receiver works).
    const genuine = backupBody();
    const ts = nowSec();
    const headers = { 'x-slack-request-timestamp': String(ts), 'x-slack-signature': sign(SECRET, ts, genuine) };
    expect(await raw(genuine, headers)).toBe(200);
    await waitFor(() => bot.core.backups.length > queuedBefore, 30_000, 'the genuine /backup to be queued');

    // 25 replays of it, byte for byte: 10 at once, 15 one after the other.
    await Promise.all(Array.from({ length: 10 }, () => record('replayed', raw(genuine, headers))));
    for (let i = 0; i < 15; i++) await record('replayed', raw(genuine, headers));

    // 25 forged signatures: other secrets, random hex, wrong version, cut short, none at all.
    for (let i = 0; i < 25; i++) {
      const body = backupBody();
      const t = nowSec();
      const forged = [
        sign(`guess-${i}-${randomBytes(4).toString('hex')}`, t, body),
        `v0=${randomBytes(32).toString('hex')}`,
        sign(SECRET, t, body).replace('v0=', 'v1='),
        sign(SECRET, t, body).slice(0, 40),
        '',
      ][i % 5] as string;
      const h: Record<string, string> = { 'x-slack-request-timestamp': String(t) };
      if (forged !== '') h['x-slack-signature'] = forged;
      await record('forged', raw(body, h));
    }

    // 25 stale and 25 future-dated, correctly signed with the real secret: 301 s to 30 days away.
    const offsets = [301, 302, 360, 600, 900, 1800, 3600, 7200, 86_400, 30 * 86_400];
    for (let i = 0; i < 25; i++) {
      const off = offsets[i % offsets.length] as number;
      await record('stale', signedRequest(bot.target.url, SECRET, backupBody(), { timestamp: nowSec() - off - i }));
      await record('future', signedRequest(bot.target.url, SECRET, backupBody(), { timestamp: nowSec() + off + i }));
    }

    // 25 body-tampered: signed for one body, sent with another (another user, another text, an extra field…).
    for (let i = 0; i < 25; i++) {
      const body = backupBody();
      const t = nowSec();
      const signature = sign(SECRET, t, body);
      const tampered = [
        body.replace(encodeURIComponent(USERS.operator), encodeURIComponent(USERS.both)),
        body.replace('text=', 'text=now'),
        `${body}&user_id=${USERS.both}`,
        body.slice(0, -1),
        `${body} `,
      ][i % 5] as string;
      await record('tampered', raw(tampered, { 'x-slack-request-timestamp': String(t), 'x-slack-signature': signature }));
    }

    const accepted = statuses.filter((s) => s.status !== 401);
    expect(statuses).toHaveLength(125);
    for (const kind of ['replayed', 'forged', 'stale', 'future', 'tampered']) expect(statuses.filter((s) => s.kind === kind), kind).toHaveLength(25);
    expect(accepted).toEqual([]);
    // What an operator would see: exactly one backup queued — the genuine request's.
    await new Promise((r) => setTimeout(r, 500));
    expect(bot.core.backups).toHaveLength(queuedBefore + 1);
  }, 120_000);
});
