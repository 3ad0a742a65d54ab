/**
 * The Web API methods the bot uses, answered the way Slack answers them: `{ok:true,…}` or
 * `{ok:false,error}` with HTTP 200 (Slack's convention), 429 + Retry-After when rate limited.
 */
import type { FakeState } from './state.ts';

export type Args = Record<string, unknown>;
export type MethodResult = Record<string, unknown> & { ok: boolean; error?: string };
type Method = (state: FakeState, args: Args) => MethodResult;

export const BOT_USER_ID = 'UFAKEBOT';
export const TEAM_ID = 'TFAKE0001';

function str(args: Args, key: string): string | undefined {
  const v = args[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Slack sends blocks as a JSON string in form posts, as an array in JSON posts. */
function blocks(args: Args): unknown[] | undefined {
  const v = args['blocks'];
  if (Array.isArray(v)) return v;
  if (typeof v === 'string' && v !== '') {
    const parsed: unknown = JSON.parse(v);
    return Array.isArray(parsed) ? parsed : undefined;
  }
  return undefined;
}

function fail(error: string): MethodResult {
  return { ok: false, error };
}

const methods: Record<string, Method> = {
  'auth.test': () => ({ ok: true, url: 'https://fake.slack.test/', team: 'Fake', user: 'crvs-backup', team_id: TEAM_ID, user_id: BOT_USER_ID, bot_id: 'BFAKEBOT' }),

  'chat.postMessage': (s, a) => {
    const channel = str(a, 'channel');
    if (!channel) return fail('channel_not_found');
    const text = str(a, 'text') ?? '';
    const b = blocks(a) ?? [];
    if (text === '' && b.length === 0) return fail('no_text');
    const threadTs = str(a, 'thread_ts');
    if (threadTs && !s.find(channel, threadTs)) return fail('thread_not_found');
    const msg = { channel, ts: s.nextTs(), threadTs, user: BOT_USER_ID, text, blocks: b, edits: [] };
    s.messages.push(msg);
    return { ok: true, channel, ts: msg.ts, message: { type: 'message', user: BOT_USER_ID, text, ts: msg.ts, blocks: b, thread_ts: threadTs } };
  },

  'chat.update': (s, a) => {
    const channel = str(a, 'channel');
    const ts = str(a, 'ts');
    if (!channel || !ts) return fail('message_not_found');
    const msg = s.find(channel, ts);
    if (!msg) return fail('message_not_found');
    const text = str(a, 'text');
    const b = blocks(a);
    if (text === undefined && b === undefined) return fail('no_text');
    msg.edits.push({ text: msg.text, blocks: msg.blocks, at: Date.now() });
    if (text !== undefined) msg.text = text;
    // Like Slack: blocks not given are kept.
    if (b !== undefined) msg.blocks = b;
    return { ok: true, channel, ts, text: msg.text };
  },

  'chat.postEphemeral': (s, a) => {
    const channel = str(a, 'channel');
    const user = str(a, 'user');
    if (!channel) return fail('channel_not_found');
    if (!user || !s.users.has(user)) return fail('user_not_found');
    s.ephemerals.push({ channel, user, text: str(a, 'text') ?? '', blocks: blocks(a) ?? [], via: 'chat.postEphemeral', at: Date.now() });
    return { ok: true, message_ts: s.nextTs() };
  },

  'usergroups.users.list': (s, a) => {
    const group = str(a, 'usergroup');
    const users = group ? s.usergroups.get(group) : undefined;
    if (!users) return fail('no_such_subteam');
    return { ok: true, users };
  },

  'users.info': (s, a) => {
    const id = str(a, 'user');
    const user = id ? s.users.get(id) : undefined;
    if (!user) return fail('user_not_found');
    return { ok: true, user: { deleted: false, is_bot: false, is_restricted: false, is_ultra_restricted: false, team_id: TEAM_ID, ...user } };
  },
};

/** Runs a method; unknown methods answer like Slack does. */
export function callMethod(state: FakeState, method: string, args: Args): MethodResult {
  const m = methods[method];
  if (!m) return fail('unknown_method');
  try {
    return m(state, args);
  } catch {
    return fail('invalid_arguments');
  }
}

export const SUPPORTED_METHODS = Object.keys(methods);
