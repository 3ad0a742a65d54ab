/**
 * The console's web server (loopback only): the page, the channel as HTML per user, and two
 * actions — a slash command and a button click — which it turns into exactly what Slack sends:
 * signed HTTP requests to the bot's real HTTP receiver (src/fake-slack/requests.ts).
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import { clickButton, sendSlashCommand, type BotTarget, type FakeMessage, type FakeSlack } from '../fake-slack/index.ts';
import type { Logger } from '../log.ts';
import { pageHtml, type PageInfo } from './page.ts';
import { personById } from './people.ts';
import { channelHtml, type Echo } from './view.ts';

export interface PageServerOptions {
  fake: FakeSlack;
  bot: BotTarget;
  channel: string;
  info: PageInfo;
  logger: Logger;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Called before a slash command is sent (the console re-arms the stand-in before a /restore). */
  beforeCommand?: (command: string) => void;
}

export interface PageServer {
  url: string;
  close(): Promise<void>;
}

const ASSETS: Record<string, { file: string; type: string }> = {
  '/assets/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  '/assets/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
};

const commandSchema = z.object({ user: z.string(), text: z.string().max(2000) });
const clickSchema = z.object({ user: z.string(), ts: z.string(), actionId: z.string() });

/** Slack answers a slow ack with an error to the user; the console says so too. */
const ACK_LIMIT_MS = 3000;

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  // A JSON content type forces a CORS preflight, so another web page cannot post here.
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new Error('expected application/json');
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}

export async function startPageServer(opts: PageServerOptions): Promise<PageServer> {
  const { fake, bot, channel, logger } = opts;
  const assets = new Map(Object.entries(ASSETS).map(([path, a]) => [path, { type: a.type, body: readFileSync(join(import.meta.dirname, 'assets', a.file), 'utf8') }]));
  const page = pageHtml(opts.info);
  const echoes: Echo[] = [];
  const seen = new WeakMap<FakeMessage, number>();
  let stamped = 0;
  // The fake's ts has whole seconds: stamp each message when it appears, to order it among echoes and ephemerals.
  const stamp = (): void => {
    for (; stamped < fake.messages.length; stamped++) seen.set(fake.messages[stamped] as FakeMessage, Date.now());
  };
  const stamper = setInterval(stamp, 50);
  const seenAt = (m: FakeMessage): number => seen.get(m) ?? Date.now();
  const nameOf = (id: string): string | undefined =>
    personById(id)?.name ?? (id === 'UFAKEBOT' ? 'CRVS Backup' : id === channel ? opts.info.channelName : undefined);

  async function command(body: unknown): Promise<{ ok: boolean; error?: string }> {
    const input = commandSchema.parse(body);
    if (!personById(input.user)) return { ok: false, error: 'Choose who you are first.' };
    const m = /^(\/[a-z][a-z0-9_-]*)(?:\s+([\s\S]*))?$/.exec(input.text.trim());
    if (!m) return { ok: false, error: 'Type a slash command, e.g. /backup or /backup help. The console posts nothing else.' };
    const [, name = '', text = ''] = m;
    const echo: Echo = { user: input.user, channel, text: input.text.trim(), at: Date.now() };
    echoes.push(echo);
    if (!opts.info.commands.includes(name)) {
      echo.note = `${name} is not a valid command of this app. Its commands: ${opts.info.commands.join(', ')}.`;
      return { ok: true };
    }
    opts.beforeCommand?.(name);
    stamp();
    const res = await sendSlashCommand(fake, bot, { command: name, text: text.trim(), user: input.user, channel });
    if (res.status !== 200) echo.note = `The bot answered HTTP ${res.status}: Slack would show "dispatch_failed".`;
    else if (res.ms > ACK_LIMIT_MS) echo.note = `The bot acknowledged after ${(res.ms / 1000).toFixed(1)} s: Slack would have shown "operation_timeout".`;
    return { ok: true };
  }

  async function click(body: unknown): Promise<{ ok: boolean; error?: string }> {
    const input = clickSchema.parse(body);
    if (!personById(input.user)) return { ok: false, error: 'Choose who you are first.' };
    let res;
    try {
      res = await clickButton(fake, bot, { user: input.user, channel, ts: input.ts, actionId: input.actionId });
    } catch {
      return { ok: false, error: 'That button is no longer on the message (it changed meanwhile).' };
    }
    if (res.status !== 200) return { ok: false, error: `The bot answered HTTP ${res.status} to the click.` };
    return { ok: true };
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://console');
    if (req.method === 'GET' && url.pathname === '/') return send(res, 200, 'text/html; charset=utf-8', page);
    const asset = req.method === 'GET' ? assets.get(url.pathname) : undefined;
    if (asset) return send(res, 200, asset.type, asset.body);
    if (req.method === 'GET' && url.pathname === '/api/view') {
      const user = url.searchParams.get('user') ?? '';
      if (!personById(user)) return json(res, 400, { ok: false, error: 'unknown user' });
      stamp();
      const v = `${fake.calls.length}:${fake.messages.length}:${echoes.length}:${echoes.filter((e) => e.note).length}`;
      if (url.searchParams.get('v') === v) {
        res.writeHead(204, { 'cache-control': 'no-store' });
        return void res.end();
      }
      return json(res, 200, { v, user, html: channelHtml({ fake, channel, user, echoes, seenAt, nameOf }) });
    }
    if (req.method === 'POST' && url.pathname === '/api/command') return json(res, 200, await command(await readJson(req)));
    if (req.method === 'POST' && url.pathname === '/api/click') return json(res, 200, await click(await readJson(req)));
    send(res, 404, 'text/plain; charset=utf-8', 'not found');
  }

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      logger.warn({ err: err instanceof Error ? err.message : String(err), path: req.url }, 'console request failed');
      if (!res.headersSent) json(res, 400, { ok: false, error: 'The console could not handle that request.' });
    });
  });
  const host = opts.host ?? '127.0.0.1';
  const listen = (port: number): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  try {
    await listen(opts.port ?? 0);
  } catch (err) {
    // The usual port is taken (a second console, another program): any free port will do.
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !opts.port) throw err;
    logger.warn({ port: opts.port }, 'console port taken; using a free one');
    await listen(0);
  }
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    async close() {
      clearInterval(stamper);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
