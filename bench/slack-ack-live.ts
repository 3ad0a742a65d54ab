/**
 * Ack latency with everything live: the whole bot (startBot: real core, BullMQ queue and workers,
 * the stores, Redis) in HTTP mode behind the fake Slack Web API. The signed requests come from
 * another thread (bench/ack-sender.ts), as Slack is not in the bot's process; the fake Slack
 * (where response_url replies land) runs in the bot's process and thread, so its work counts
 * against the bot.
 *
 * Measured for `/backup status`, 50 at once, in several rounds: the ack (sending → the receiver's
 * HTTP answer) and the reply (sending → the status text arriving at the fake Slack's response_url),
 * which is what the user waits for. The backup root holds one real set plus `--sets` − 1 copies of
 * its manifest under earlier labels, as a week of retention leaves them (the status reads them all).
 * With `--restore`, also 50 `/restore <label>` and 50 approval clicks at once (a restore really
 * runs; minutes).
 *
 *   npx tsx bench/slack-ack-live.ts [--rounds 3] [--sets 8] [--restore] [--cpu-prof out.cpuprofile]
 *
 * `--cpu-prof` writes a CPU profile of the bot's thread over the measured rounds (open it in
 * Chrome DevTools, or summarise it with bench/profile-summary.ts).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { up, servicesEnv } from '../scripts/services/harness.ts';
import { seedAll } from '../scripts/seed/index.ts';
import { manifestPath } from '../src/backup/manifest.ts';
import { loadConfig } from '../src/config.ts';
import { runBackup } from '../src/backup/run-backup.ts';
import { blockActionBody, slashCommandBody, startFakeSlack, waitFor, type FakeSlack } from '../src/fake-slack/index.ts';
import { createLogger } from '../src/log.ts';
import { startBot } from '../src/main.ts';
import { createRuntime } from '../src/runtime.ts';
import { APPROVAL_ACTIONS } from '../src/slack/blocks/approval-card.ts';
import { startSender, type AckRequest } from './ack-sender.ts';

const N = 50;
const SECRET = 'bench-live-signing-secret';
const CHANNEL = 'CBENCHLIVE';
const OPERATOR = 'ULIVEOPER';
const APPROVERS = ['ULIVEAPPA', 'ULIVEAPPB'] as const;
/** What every status reply says when a complete set exists (src/slack/blocks/backup.ts). */
const STATUS_MARK = 'Last complete set:';

/** Percentiles of one burst, in ms. */
export interface Stats {
  n: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface LiveRound {
  ack: Stats;
  reply: Stats;
  /** The same burst to a bare HTTP server in the bot's thread that answers 200 at once: this machine's floor, now. */
  floor: Stats;
  /** 1-minute load average when the round ended. */
  load1: number;
}

export interface LiveAckResult {
  rounds: LiveRound[];
  /** Medians over the rounds, figure by figure. */
  ack: Stats;
  reply: Stats;
  floor: Stats;
  /** Manifests in the backup root (what each status reads). */
  manifests: number;
}

function stats(ms: number[]): Stats {
  const s = [...ms].sort((a, b) => a - b);
  const p = (q: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil((q / 100) * s.length) - 1))] ?? Number.NaN;
  return { n: s.length, p50Ms: p(50), p99Ms: p(99), maxMs: s.at(-1) ?? Number.NaN };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? Number.NaN) + (s[mid] ?? Number.NaN)) / 2;
}

function medianStats(all: Stats[]): Stats {
  return { n: all[0]?.n ?? 0, p50Ms: median(all.map((s) => s.p50Ms)), p99Ms: median(all.map((s) => s.p99Ms)), maxMs: median(all.map((s) => s.maxMs)) };
}

export function statsLine(name: string, s: Stats): string {
  const f = (n: number): string => n.toFixed(1).padStart(7);
  return `${name.padEnd(46)} n=${s.n}  p50 ${f(s.p50Ms)} ms  p99 ${f(s.p99Ms)} ms  max ${f(s.maxMs)} ms`;
}

/** Copies of the set's manifest under earlier labels: what a week of nightly sets leaves behind. */
function addOlderManifests(root: string, label: string, extra: number): void {
  const text = readFileSync(manifestPath(root, label), 'utf8');
  const manifest = JSON.parse(text) as { label: string; createdAt: string };
  mkdirSync(join(root, 'manifests'), { recursive: true });
  for (let i = 1; i <= extra; i += 1) {
    const older = `${label}-d${i}`;
    const createdAt = new Date(Date.parse(manifest.createdAt) - i * 86_400_000).toISOString();
    writeFileSync(manifestPath(root, older), JSON.stringify({ ...manifest, label: older, createdAt }, null, 2));
  }
}

/** A server that reads each request and answers 200 with nothing: no signature, no Bolt, no work. */
async function startFloorServer(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`, server };
}

type Fire = (b: AckRequest[]) => Promise<Array<{ ms: number; sentAt: number }>>;

/** One burst of 50 `/backup status`, each from its own channel so its reply can be matched, then the same burst to the floor server. */
async function statusRound(fake: FakeSlack, url: string, floorUrl: string, fire: Fire, round: number): Promise<LiveRound> {
  const channels = Array.from({ length: N }, (_, i) => `CR${round}N${String(i).padStart(2, '0')}`);
  const batch = channels.map((channel) => ({ url, secret: SECRET, body: slashCommandBody(fake, { command: '/backup', text: 'status', user: OPERATOR, channel }) }));
  const timings = await fire(batch);
  const replies = await waitFor(() => {
    const got = channels.map((c) => fake.ephemerals.find((e) => e.channel === c && e.text.includes(STATUS_MARK)));
    return got.every((e) => e !== undefined) ? got : undefined;
  }, 60_000, `all ${N} status replies of round ${round}`);
  const replyMs = replies.map((e, i) => (e?.at ?? Number.NaN) - (timings[i]?.sentAt ?? Number.NaN));
  await new Promise((res) => setTimeout(res, 300));
  const floor = await fire(batch.map((b) => ({ ...b, url: floorUrl })));
  return { ack: stats(timings.map((t) => t.ms)), reply: stats(replyMs), floor: stats(floor.map((t) => t.ms)), load1: loadavg()[0] ?? Number.NaN };
}

/** The whole bot's ack and reply times for `/backup status`, 50 at once, `rounds` times. */
export async function benchSlackAckLive(opts: { rounds?: number; sets?: number; restore?: boolean; quiet?: boolean; cpuProfile?: string } = {}): Promise<LiveAckResult> {
  const rounds = opts.rounds ?? 3;
  const sets = Math.max(1, opts.sets ?? 8);
  const log = (line: string): void => {
    if (!opts.quiet) console.log(line);
  };
  // The bot's stores and the engine; not the Kubernetes API, whose start-up would load the 2 cores
  // under this bench and the restore bench after it.
  await up({ only: ['redis', 'sshd', 'mongo', 'mongo-tools', 'minio', 'elasticsearch', 'influxdb', 'postgres', 'docker'], log: () => undefined });
  const users = [OPERATOR, ...APPROVERS].map((id) => ({ id, name: id.toLowerCase() }));
  const fake = await startFakeSlack({ botToken: 'xoxb-bench-live', users });
  const base = servicesEnv();
  const root = mkdtempSync(join(base['BACKUP_ROOT'] ?? '/tmp', 'bench-live-'));
  const config = loadConfig({
    ...base,
    BACKUP_ROOT: root,
    BACKUP_SERVER_HOST: '',
    REDEPLOY_AFTER_RESTORE: 'false',
    SLACK_MODE: 'http',
    SLACK_BOT_TOKEN: 'xoxb-bench-live',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: fake.apiUrl,
    SLACK_CHANNEL: CHANNEL,
    SLACK_OPERATORS: OPERATOR,
    SLACK_APPROVERS: APPROVERS.join(','),
    LOG_LEVEL: 'silent',
  });
  await seedAll(config, { scale: 1, seed: 21 });
  const rt = createRuntime(config, createLogger('silent'));
  const made = await runBackup(rt.deps, { requestedBy: 'bench', label: `bench-${Date.now()}` });
  await rt.close();
  if (!made.ok) throw new Error('the backup made for the bench is not complete');
  const label = made.manifest.label;
  addOlderManifests(root, label, sets - 1);
  const bot = await startBot(config, { listen: { host: '127.0.0.1', port: 0 }, logger: createLogger('silent') });
  const url = `http://127.0.0.1:${bot.slack?.port()}/slack/events`;
  const sender = startSender();
  const floorServer = await startFloorServer();
  const result: LiveRound[] = [];
  try {
    // Warm-up, not measured: one whole round. The first burst after start pays the sender's and the
    // bot's connections (50 to the fake Slack for the replies), JIT, auth.test, role lookups and Lua
    // scripts; a bot that has run for a day has them all. Printed, so the cold figure is seen too.
    const cold = await statusRound(fake, url, floorServer.url, sender.fireTimed, 0);
    log(`${statsLine('warm-up (first burst after start, cold): ack', cold.ack)}  load ${cold.load1.toFixed(2)}`);
    const profiler = opts.cpuProfile ? new Session() : undefined;
    if (profiler) {
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.setSamplingInterval', { interval: 100 });
      await profiler.post('Profiler.start');
    }
    for (let r = 1; r <= rounds; r += 1) {
      await new Promise((res) => setTimeout(res, 1000));
      const round = await statusRound(fake, url, floorServer.url, sender.fireTimed, r);
      result.push(round);
      log(`${statsLine(`round ${r}: /backup status, 50 at once (ack)`, round.ack)}  load ${round.load1.toFixed(2)}`);
      log(statsLine(`round ${r}: /backup status, 50 at once (reply)`, round.reply));
      log(statsLine(`round ${r}: bare HTTP server, 50 at once (floor)`, round.floor));
    }
    if (profiler && opts.cpuProfile) {
      const { profile } = await profiler.post('Profiler.stop');
      writeFileSync(opts.cpuProfile, JSON.stringify(profile));
      profiler.disconnect();
      log(`CPU profile of the bot's thread over the rounds: ${opts.cpuProfile}`);
    }
    if (opts.restore) await restoreBurst(fake, url, sender, label, log);
  } finally {
    await sender.stop();
    floorServer.server.closeAllConnections();
    floorServer.server.close();
    await bot.stop();
    await fake.close();
    rmSync(root, { recursive: true, force: true });
  }
  const out = { rounds: result, ack: medianStats(result.map((r) => r.ack)), reply: medianStats(result.map((r) => r.reply)), floor: medianStats(result.map((r) => r.floor)), manifests: sets };
  log(statsLine(`median of ${rounds}: status ack`, out.ack));
  log(statsLine(`median of ${rounds}: status reply`, out.reply));
  log(statsLine(`median of ${rounds}: floor`, out.floor));
  return out;
}

/** 50 `/restore <label>` at once, then 50 approval clicks on one card; one restore really runs. */
async function restoreBurst(fake: FakeSlack, url: string, sender: ReturnType<typeof startSender>, label: string, log: (l: string) => void): Promise<void> {
  const restores = await sender.fire(Array.from({ length: N }, () => ({ url, secret: SECRET, body: slashCommandBody(fake, { command: '/restore', text: label, user: OPERATOR, channel: CHANNEL }) })));
  log(statsLine('/restore <label>, 50 at once (ack)', stats(restores)));
  const cards = await waitFor(() => {
    const c = fake.messages.filter((m) => m.text.startsWith('Restore request'));
    return c.length === N ? c : undefined;
  }, 300_000, 'all approval cards (each request verifies the whole set)');
  const card = cards[0];
  if (!card) throw new Error('no approval card');
  const clicks = await sender.fire(Array.from({ length: N }, (_, i) => ({ url, secret: SECRET, body: blockActionBody(fake, { user: APPROVERS[i % 2] ?? APPROVERS[0], channel: CHANNEL, ts: card.ts, actionId: APPROVAL_ACTIONS.approve }) })));
  log(statsLine('approve clicks on one card, 50 at once (ack)', stats(clicks)));
  await waitFor(() => (JSON.stringify(fake.message(CHANNEL, card.ts)?.blocks).includes('*Approved*') ? true : undefined), 120_000, 'approved card');
  log('card approved; one restore job enqueued (waiting for it to finish)');
  await waitFor(() => (fake.messages.some((m) => /Restore .* (finished|complete|done)/i.test(m.text)) ? true : undefined), 600_000, 'restore finished').catch(() => log('restore did not report completion within 10 min'));
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchSlackAckLive({ rounds: Number(flag('--rounds') ?? 3), sets: Number(flag('--sets') ?? 8), restore: process.argv.includes('--restore'), cpuProfile: flag('--cpu-prof') });
  process.exit(0);
}
