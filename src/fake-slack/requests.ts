/**
 * Sends what Slack sends to an app's HTTP receiver: signed slash commands (form fields) and
 * signed block_actions (form field `payload=` holding JSON), with response_urls that point back
 * at the fake. The signature is computed here on its own (not with the bot's code), so a bug in
 * the bot's verifier cannot hide itself.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { BOT_USER_ID, TEAM_ID } from './methods.ts';
import type { FakeSlack } from './server.ts';

export interface SignedResponse {
  status: number;
  body: string;
  /** Milliseconds from sending to the full response (the ack). */
  ms: number;
}

export interface SignOptions {
  /** Unix seconds to sign with (default now). */
  timestamp?: number;
  /** Replaces the computed signature (to test forgeries). */
  signature?: string;
  contentType?: string;
}

/** POSTs `body` signed as Slack does: v0=hex(HMAC-SHA256(secret, "v0:{ts}:{body}")). */
export async function signedRequest(url: string, secret: string, body: string, opts: SignOptions = {}): Promise<SignedResponse> {
  const ts = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const signature = opts.signature ?? `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
  const started = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': opts.contentType ?? 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': ts,
      'x-slack-signature': signature,
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text, ms: performance.now() - started };
}

/** Where the bot listens and the secret it checks. */
export interface BotTarget {
  url: string;
  signingSecret: string;
}

export interface CommandInput {
  command: string;
  text?: string;
  user: string;
  channel: string;
}

/** The fields of a slash command, as Slack sends them (form fields over HTTP, payload in Socket Mode). */
export function slashCommandFields(fake: FakeSlack, c: CommandInput): Record<string, string> {
  return {
    token: 'legacy-verification-token',
    team_id: TEAM_ID,
    team_domain: 'fake',
    channel_id: c.channel,
    channel_name: 'ops',
    user_id: c.user,
    user_name: c.user.toLowerCase(),
    command: c.command,
    text: c.text ?? '',
    api_app_id: 'AFAKEAPP',
    is_enterprise_install: 'false',
    response_url: fake.responseUrl({ channel: c.channel, user: c.user }),
    trigger_id: `${Date.now()}.${randomBytes(6).toString('hex')}`,
  };
}

/** The form body of a slash command, as Slack posts it. */
export function slashCommandBody(fake: FakeSlack, c: CommandInput): string {
  return new URLSearchParams(slashCommandFields(fake, c)).toString();
}

export async function sendSlashCommand(fake: FakeSlack, bot: BotTarget, c: CommandInput, opts: SignOptions = {}): Promise<SignedResponse> {
  return signedRequest(bot.url, bot.signingSecret, slashCommandBody(fake, c), opts);
}

export interface ClickInput {
  user: string;
  channel: string;
  /** The message holding the button. */
  ts: string;
  actionId: string;
}

interface ButtonElement {
  type: 'button';
  action_id: string;
  value?: string;
  block_id?: string;
}

function findButton(blocks: unknown[], actionId: string): { button: ButtonElement; blockId: string } | undefined {
  for (const block of blocks) {
    const b = block as { type?: string; block_id?: string; elements?: unknown[] };
    if (b.type !== 'actions' || !Array.isArray(b.elements)) continue;
    for (const el of b.elements) {
      const e = el as Partial<ButtonElement>;
      if (e.type === 'button' && e.action_id === actionId) return { button: e as ButtonElement, blockId: b.block_id ?? '' };
    }
  }
  return undefined;
}

/** The block_actions payload of a button click on a message of the fake: throws if that button is not there. */
export function blockActionPayload(fake: FakeSlack, c: ClickInput): Record<string, unknown> {
  const message = fake.message(c.channel, c.ts);
  if (!message) throw new Error(`no message ${c.ts} in ${c.channel}`);
  const found = findButton(message.blocks, c.actionId);
  if (!found) throw new Error(`message ${c.ts} has no button ${c.actionId}`);
  const payload = {
    type: 'block_actions',
    user: { id: c.user, username: c.user.toLowerCase(), name: c.user.toLowerCase(), team_id: TEAM_ID },
    api_app_id: 'AFAKEAPP',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: c.ts, channel_id: c.channel, is_ephemeral: false },
    trigger_id: `${Date.now()}.${randomBytes(6).toString('hex')}`,
    team: { id: TEAM_ID, domain: 'fake' },
    is_enterprise_install: false,
    channel: { id: c.channel, name: 'ops' },
    message: { type: 'message', user: BOT_USER_ID, ts: message.ts, text: message.text, blocks: message.blocks },
    state: { values: {} },
    response_url: fake.responseUrl({ channel: c.channel, user: c.user, messageTs: c.ts }),
    actions: [
      {
        type: 'button',
        action_id: found.button.action_id,
        block_id: found.blockId,
        value: found.button.value,
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
  return payload;
}

/** The form body Slack posts for a click: `payload=<json>`. */
export function blockActionBody(fake: FakeSlack, c: ClickInput): string {
  return new URLSearchParams({ payload: JSON.stringify(blockActionPayload(fake, c)) }).toString();
}

export async function clickButton(fake: FakeSlack, bot: BotTarget, c: ClickInput, opts: SignOptions = {}): Promise<SignedResponse> {
  return signedRequest(bot.url, bot.signingSecret, blockActionBody(fake, c), opts);
}

/** Polls `probe` until it returns a value (not undefined/false) or `timeoutMs` passes. */
export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
