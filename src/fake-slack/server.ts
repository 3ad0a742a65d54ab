/**
 * A fake of the Slack Web API on a loopback port, for tests and the local web console.
 * Bolt is pointed at it with `clientOptions.slackApiUrl = fake.apiUrl`; response_urls handed to
 * the bot point back at it, so `respond()` works. Every call is recorded.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { callMethod, type Args } from './methods.ts';
import { attachSocketMode, type FakeSocketMode } from './socket-mode.ts';
import { FakeState, type ApiCall, type FakeEphemeral, type FakeMessage, type FakeUser } from './state.ts';

export interface FakeSlackOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** When set, calls with another token answer `invalid_auth`. */
  botToken?: string;
  /** When set, apps.connections.open requires this app-level token. */
  appToken?: string;
  users?: FakeUser[];
  usergroups?: Record<string, string[]>;
}

export interface FakeSlack {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** What to give the bot as SLACK_API_URL. */
  apiUrl: string;
  calls: ApiCall[];
  /** Channel messages (thread replies included), in posting order. */
  messages: FakeMessage[];
  ephemerals: FakeEphemeral[];
  /** The next `times` calls of `method` answer 429 with Retry-After: retryAfterSec. */
  setRateLimit(method: string, opts: { times: number; retryAfterSec: number }): void;
  addUser(user: FakeUser): void;
  setUsergroup(id: string, users: string[]): void;
  /** The group is gone (usergroups.users.list answers no_such_subteam), as when it is deleted or the API fails. */
  removeUsergroup(id: string): void;
  message(channel: string, ts: string): FakeMessage | undefined;
  thread(channel: string, ts: string): FakeMessage[];
  /** A new response_url for a command or click by `user` in `channel`. */
  responseUrl(ctx: { channel: string; user: string; messageTs?: string }): string;
  /** Socket Mode: envelopes to a connected app. */
  socket: FakeSocketMode;
  close(): Promise<void>;
}

const RESPONSE_URL_USES = 5;
const RESPONSE_URL_TTL_MS = 30 * 60_000;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 2 * 1024 * 1024) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseArgs(req: IncomingMessage, body: string): Args {
  const type = req.headers['content-type'] ?? '';
  if (type.includes('application/json')) {
    const v: unknown = body === '' ? {} : JSON.parse(body);
    return typeof v === 'object' && v !== null ? (v as Args) : {};
  }
  return Object.fromEntries(new URLSearchParams(body));
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

export async function startFakeSlack(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  const state = new FakeState();
  for (const u of opts.users ?? []) state.users.set(u.id, u);
  for (const [g, members] of Object.entries(opts.usergroups ?? {})) state.usergroups.set(g, members);

  function api(method: string, req: IncomingMessage, args: Args, res: ServerResponse): void {
    const auth = req.headers.authorization?.replace(/^Bearer /, '') ?? (typeof args['token'] === 'string' ? args['token'] : undefined);
    const { token: _token, ...recorded } = args;
    const call: ApiCall = { method, args: recorded, at: Date.now(), status: 200, result: 'ok' };
    state.calls.push(call);
    if (method === 'apps.connections.open') {
      const ok = auth?.startsWith('xapp-') && (opts.appToken === undefined || auth === opts.appToken);
      call.result = ok ? 'ok' : 'invalid_auth';
      json(res, 200, ok ? { ok: true, url: socket.openUrl() } : { ok: false, error: 'invalid_auth' });
      return;
    }
    const limit = state.rateLimits.get(method);
    if (limit && limit.times > 0) {
      limit.times -= 1;
      call.status = 429;
      call.result = 'ratelimited';
      json(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(limit.retryAfterSec) });
      return;
    }
    if (!auth || (opts.botToken !== undefined && auth !== opts.botToken)) {
      call.result = auth ? 'invalid_auth' : 'not_authed';
      json(res, 200, { ok: false, error: call.result });
      return;
    }
    const result = callMethod(state, method, args);
    call.result = result.ok ? 'ok' : (result.error ?? 'error');
    json(res, 200, result);
  }

  function respondUrl(id: string, args: Args, res: ServerResponse): void {
    const ctx = state.responseUrls.get(id);
    state.calls.push({ method: 'response_url', args, at: Date.now(), status: 200, result: 'ok' });
    if (!ctx || ctx.uses >= RESPONSE_URL_USES || Date.now() - ctx.createdAt > RESPONSE_URL_TTL_MS) {
      json(res, 404, { ok: false, error: 'used_url' });
      return;
    }
    ctx.uses += 1;
    const text = typeof args['text'] === 'string' ? args['text'] : '';
    const blocks = Array.isArray(args['blocks']) ? (args['blocks'] as unknown[]) : [];
    const original = ctx.messageTs ? state.find(ctx.channel, ctx.messageTs) : undefined;
    if (args['replace_original'] === true && original) {
      original.edits.push({ text: original.text, blocks: original.blocks, at: Date.now() });
      original.text = text;
      original.blocks = blocks;
    } else if (args['response_type'] === 'in_channel') {
      state.messages.push({ channel: ctx.channel, ts: state.nextTs(), threadTs: undefined, user: 'UFAKEBOT', text, blocks, edits: [] });
    } else {
      state.ephemerals.push({ channel: ctx.channel, user: ctx.user, text, blocks, via: 'response_url', at: Date.now() });
    }
    json(res, 200, { ok: true });
  }

  let url = '';
  const server = createServer((req, res) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://fake');
        if (req.method !== 'POST' && req.method !== 'GET') return json(res, 405, { ok: false, error: 'method_not_allowed' });
        const args: Args = { ...Object.fromEntries(url.searchParams), ...parseArgs(req, await readBody(req)) };
        const apiMatch = /^\/api\/([a-zA-Z.]+)$/.exec(url.pathname);
        if (apiMatch?.[1]) return api(apiMatch[1], req, args, res);
        const respMatch = /^\/response\/([a-f0-9]+)$/.exec(url.pathname);
        if (respMatch?.[1]) return respondUrl(respMatch[1], args, res);
        json(res, 404, { ok: false, error: 'not_found' });
      } catch {
        if (!res.headersSent) json(res, 400, { ok: false, error: 'invalid_request' });
      }
    })();
  });
  const socket = attachSocketMode(server, () => url.replace(/^http/, 'ws'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  url = `http://${opts.host ?? '127.0.0.1'}:${addr.port}`;

  return {
    url,
    apiUrl: `${url}/api/`,
    calls: state.calls,
    messages: state.messages,
    ephemerals: state.ephemerals,
    setRateLimit: (method, o) => state.rateLimits.set(method, { ...o }),
    addUser: (u) => state.users.set(u.id, u),
    setUsergroup: (id, users) => state.usergroups.set(id, users),
    removeUsergroup: (id) => void state.usergroups.delete(id),
    message: (c, ts) => state.find(c, ts),
    thread: (c, ts) => state.thread(c, ts),
    responseUrl(ctx) {
      const id = randomBytes(8).toString('hex');
      state.responseUrls.set(id, { channel: ctx.channel, user: ctx.user, messageTs: ctx.messageTs, uses: 0, createdAt: Date.now() });
      return `${url}/response/${id}`;
    },
    socket,
    async close() {
      socket.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
