/**
 * HTTP receiver with the strict signature check. It reads the raw body itself (bounded), refuses
 * anything not signed within ±5 minutes, or signed exactly like a request already seen (a replay),
 * with 401, and only then hands the request to Bolt's own
 * HTTPReceiver (which verifies again: defence in depth).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HTTPReceiver, type App, type Receiver } from '@slack/bolt';
import type { Logger } from '../log.ts';
import { boltLogger } from './bolt-logger.ts';
import { ReplayGuard } from './replay-guard.ts';
import { verifySignature } from './signature.ts';

export interface StrictReceiverOptions {
  signingSecret: string;
  logger: Logger;
  /** Largest request body accepted; Slack's payloads are a few kB. */
  bodyLimitBytes?: number;
  /** Test hook: the clock used for the timestamp window. */
  now?: () => number;
}

/** A Bolt Receiver that listens on its own server; `start(port, host)` resolves once listening. */
export class StrictHttpReceiver implements Receiver {
  private readonly inner: HTTPReceiver;
  private readonly opts: StrictReceiverOptions;
  private server: Server | undefined;
  private readonly replays = new ReplayGuard();

  constructor(opts: StrictReceiverOptions) {
    this.opts = opts;
    this.inner = new HTTPReceiver({
      signingSecret: opts.signingSecret,
      endpoints: '/slack/events',
      logger: boltLogger(opts.logger),
      unhandledRequestTimeoutMillis: 3001,
    });
  }

  init(app: App): void {
    this.inner.init(app);
  }

  async start(port: number, host = '0.0.0.0'): Promise<Server> {
    if (this.server) throw new Error('receiver already started');
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.opts.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'slack request failed');
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return server;
  }

  /** The bound port (useful with port 0). */
  port(): number {
    const addr = this.server?.address() as AddressInfo | null | undefined;
    if (!addr) throw new Error('receiver not started');
    return addr.port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    const limit = this.opts.bodyLimitBytes ?? 1024 * 1024;
    const body = await readBody(req, limit);
    if (body === undefined) {
      res.writeHead(413).end();
      return;
    }
    const now = (this.opts.now ?? Date.now)();
    const check = verifySignature(
      this.opts.signingSecret,
      { signature: header(req, 'x-slack-signature'), timestamp: header(req, 'x-slack-request-timestamp') },
      body,
      now,
    );
    if (!check.ok) {
      this.opts.logger.warn({ reason: check.reason, path: req.url }, 'slack request refused');
      res.writeHead(401).end();
      return;
    }
    // Only a request whose signature checked out is remembered: forgeries cannot fill the guard.
    if (!this.replays.firstTime(header(req, 'x-slack-signature') ?? '', Number(header(req, 'x-slack-request-timestamp')), now)) {
      this.opts.logger.warn({ reason: 'replayed', path: req.url }, 'slack request refused');
      res.writeHead(401).end();
      return;
    }
    // Bolt's HTTPReceiver reuses a body already read when it is put on `rawBody`.
    Object.assign(req, { rawBody: body });
    this.inner.requestListener(req, res);
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/** Reads the body up to `limit` bytes; undefined when larger. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) return undefined;
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}
