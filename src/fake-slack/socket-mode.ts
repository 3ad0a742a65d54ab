/**
 * The Socket Mode side of the fake: `apps.connections.open` hands out a ws:// URL on the fake's
 * own port; a connecting client gets `hello`, then envelopes (slash_commands, interactive) that it
 * must acknowledge with `{envelope_id}` the way Slack expects.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

export interface SocketAck {
  ms: number;
  payload: unknown;
}

export interface FakeSocketMode {
  /** A one-time URL, as apps.connections.open returns. */
  openUrl(): string;
  /** Resolves once a client is connected (hello sent). */
  connected(timeoutMs?: number): Promise<void>;
  /** Sends an envelope to the newest connection; resolves with its ack. */
  send(type: 'slash_commands' | 'interactive', payload: Record<string, unknown>, timeoutMs?: number): Promise<SocketAck>;
  close(): void;
}

/** `baseWsUrl` is read when a URL is handed out (the port is known only after listen). */
export function attachSocketMode(server: Server, baseWsUrl: () => string): FakeSocketMode {
  const wss = new WebSocketServer({ noServer: true });
  const tickets = new Set<string>();
  const sockets: WebSocket[] = [];
  const waiting = new Map<string, (payload: unknown) => void>();

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const ticket = url.searchParams.get('ticket') ?? '';
    if (url.pathname !== '/socket-mode' || !tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.push(ws);
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data)) as { envelope_id?: string; payload?: unknown };
        const done = msg.envelope_id ? waiting.get(msg.envelope_id) : undefined;
        if (done && msg.envelope_id) {
          waiting.delete(msg.envelope_id);
          done(msg.payload);
        }
      });
      ws.on('close', () => sockets.splice(sockets.indexOf(ws), 1));
      ws.send(JSON.stringify({ type: 'hello', num_connections: sockets.length, debug_info: { host: 'fake', approximate_connection_time: 3600 }, connection_info: { app_id: 'AFAKEAPP' } }));
    });
  });

  return {
    openUrl() {
      const ticket = randomBytes(8).toString('hex');
      tickets.add(ticket);
      return `${baseWsUrl()}/socket-mode?ticket=${ticket}`;
    },
    async connected(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (sockets.length === 0) {
        if (Date.now() > deadline) throw new Error('no Socket Mode client connected');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    send(type, payload, timeoutMs = 5000) {
      const ws = sockets.at(-1);
      if (!ws) return Promise.reject(new Error('no Socket Mode client connected'));
      const id = randomBytes(8).toString('hex');
      const started = performance.now();
      return new Promise<SocketAck>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`envelope ${type} not acknowledged within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(id, (p) => {
          clearTimeout(timer);
          resolve({ ms: performance.now() - started, payload: p });
        });
        ws.send(JSON.stringify({ envelope_id: id, type, payload, accepts_response_payload: type === 'slash_commands', retry_attempt: 0, retry_reason: '' }));
      });
    },
    close() {
      for (const ws of sockets) ws.terminate();
      wss.close();
    },
  };
}
