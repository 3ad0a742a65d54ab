/**
 * Ack latency of the Slack surface: time from sending a signed request to the receiver's HTTP
 * answer, for 50 concurrent slash commands and 50 concurrent approval clicks, with real Redis
 * (started by the harness if needed) and the fake Slack Web API. The 50 concurrent requests are
 * sent from another thread (bench/ack-sender.ts): Slack is not in the bot's process.
 *
 *   npx tsx bench/slack-ack.ts
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { up, servicesEnv } from '../scripts/services/harness.ts';
import { loadConfig } from '../src/config.ts';
import type { BotCore, SetSummary } from '../src/core/ports.ts';
import { blockActionBody, sendSlashCommand, slashCommandBody, startFakeSlack, waitFor } from '../src/fake-slack/index.ts';
import { startSender, type AckRequest } from './ack-sender.ts';
import { createLogger } from '../src/log.ts';
import { createSlackApp } from '../src/slack/app.ts';
import { APPROVAL_ACTIONS } from '../src/slack/blocks/approval-card.ts';

const N = 50;
const SECRET = 'bench-signing-secret';
const CHANNEL = 'CBENCH001';
const OPERATOR = 'UOPERBNCH';
const APPROVERS = ['UAPPRBNCA', 'UAPPRBNCB'] as const;

function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

export interface AckRow {
  name: string;
  n: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

let collected: AckRow[] = [];

function report(name: string, ms: number[]): void {
  const s = [...ms].sort((a, b) => a - b);
  collected.push({ name, n: s.length, p50Ms: percentile(s, 50), p99Ms: percentile(s, 99), maxMs: s.at(-1) ?? 0 });
  if (quiet) return;
  const f = (n: number): string => n.toFixed(1).padStart(7);
  console.log(`${name.padEnd(40)} n=${s.length}  p50 ${f(percentile(s, 50))} ms  p99 ${f(percentile(s, 99))} ms  max ${f(s.at(-1) ?? 0)} ms`);
}

function benchCore(): BotCore & { restores: number } {
  const set: SetSummary = { label: '2026-11-25', createdAt: new Date(Date.now() - 3 * 3600_000).toISOString(), complete: true, failedStores: [], bytes: 1e8, manifestSha256: 'c'.repeat(64), location: 'local' };
  const core = {
    restores: 0,
    enqueueBackup: async () => ({ jobId: 'backup-bench' }),
    listSets: async () => [set],
    status: async () => ({ running: [], lastComplete: set, nextRun: undefined, lock: undefined }),
    history: async () => [],
    validateForRestore: async () => ({ ok: true as const, set, comparison: [{ store: 'mongo' as const, current: 10, inSet: 9 }], untouched: [] }),
    enqueueRestore: async (r: { requestId: string }) => {
      core.restores += 1;
      return { jobId: r.requestId, created: true };
    },
  };
  return core;
}

let quiet = false;

/** Ack latencies (ms) of the bot's Slack surface in this process; prints a table unless `quiet`. */
export async function benchSlackAck(opts: { quiet?: boolean } = {}): Promise<AckRow[]> {
  quiet = opts.quiet ?? false;
  collected = [];
  await up({ only: ['redis'], log: () => undefined });
  const users = [OPERATOR, ...APPROVERS].map((id) => ({ id, name: id.toLowerCase() }));
  const fake = await startFakeSlack({ botToken: 'xoxb-bench', users });
  const root = mkdtempSync(join(tmpdir(), 'crvs-bench-'));
  const config = loadConfig({
    ...servicesEnv(),
    BACKUP_ROOT: root,
    SLACK_MODE: 'http',
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: fake.apiUrl,
    SLACK_OPERATORS: OPERATOR,
    SLACK_APPROVERS: APPROVERS.join(','),
  });
  const redis = new Redis(config.redisUrl);
  const core = benchCore();
  const surface = createSlackApp({ config, core, redis, logger: createLogger('silent'), listen: { host: '127.0.0.1', port: 0 }, redisPrefix: `bench:${Date.now()}` });
  await surface.start();
  const bot = { url: `http://127.0.0.1:${surface.port()}/slack/events`, signingSecret: SECRET };
  const sender = startSender();
  try {
    // Warm-up: first request pays auth.test, role lookups and Lua script loading.
    await sendSlashCommand(fake, bot, { command: '/backup', text: 'status', user: OPERATOR, channel: CHANNEL });
    await new Promise((r) => setTimeout(r, 200));

    const sequential: number[] = [];
    for (let i = 0; i < N; i += 1) sequential.push((await sendSlashCommand(fake, bot, { command: '/backup', text: 'status', user: OPERATOR, channel: CHANNEL })).ms);
    report('/backup status, one at a time (ack)', sequential);
    await new Promise((r) => setTimeout(r, 200));

    const command = (text: string, c: string): AckRequest => ({ url: bot.url, secret: SECRET, body: slashCommandBody(fake, { command: c, text, user: OPERATOR, channel: CHANNEL }) });
    // The sender thread's first burst pays its own warm-up (connections, JIT): not measured.
    await sender.fire(Array.from({ length: N }, () => command('help', '/backup')));
    await new Promise((r) => setTimeout(r, 300));
    report('/backup status, 50 at once (ack)', await sender.fire(Array.from({ length: N }, () => command('status', '/backup'))));

    report('/restore <label>, 50 at once (ack)', await sender.fire(Array.from({ length: N }, () => command('2026-11-25', '/restore'))));
    const cards = await waitFor(() => {
      const c = fake.messages.filter((m) => m.text.startsWith('Restore request'));
      return c.length === N ? c : undefined;
    }, 30_000, 'all approval cards');
    await new Promise((r) => setTimeout(r, 300));

    const card = cards[0]!;
    const started = performance.now();
    const click = (user: string, ts: string): AckRequest => ({ url: bot.url, secret: SECRET, body: blockActionBody(fake, { user, channel: CHANNEL, ts, actionId: APPROVAL_ACTIONS.approve }) });
    report('approve click, one card (ack)', await sender.fire(Array.from({ length: N }, (_, i) => click(APPROVERS[i % 2]!, card.ts))));
    await waitFor(() => core.restores === 1 && JSON.stringify(fake.message(CHANNEL, card.ts)?.blocks).includes('*Approved*'), 10_000, 'approved card');
    if (!quiet) console.log(`${'50 clicks → card shows Approved'.padEnd(40)} ${(performance.now() - started).toFixed(1)} ms, restores enqueued: ${core.restores}`);

    report(`approve click, ${N - 1} cards (ack)`, await sender.fire(cards.slice(1, N).map((c) => click(APPROVERS[0], c.ts))));
    await waitFor(() => cards.slice(1).every((c) => JSON.stringify(fake.message(CHANNEL, c.ts)?.blocks).includes('1 of 2')), 30_000, 'all cards redrawn');
    const updates = fake.calls.filter((c) => c.method === 'chat.update').length;
    if (!quiet) console.log(`chat.update calls (50 clicks on one card + 49 single clicks): ${updates}`);
  } finally {
    await sender.stop();
    await surface.stop();
    await fake.close();
    redis.disconnect();
  }
  return collected;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchSlackAck();
  process.exit(0);
}
