/**
 * End-to-end restore time (not a test): from the SECOND approval click to the restore job's
 * "Migrations: Done", broken down by the job's own checkpoints, on the harness's real servers and
 * its real Docker Swarm. Everything is the real path: the bot runs as its own process (bin/start.js,
 * HTTP mode), `/restore <label>` and two approval clicks by two different approvers are signed
 * requests to its receiver, its Slack Web API calls go to the fake Slack, the job quiesces, restores,
 * takes the stack down, restarts the engine, redeploys and watches a migration service that really
 * applies migrations. The set is made beforehand with the bot's own backup code.
 *
 *   npx tsx bench/restore-e2e.ts --scale 10 [--json]
 *
 * Uses Redis database 6 of the harness (flushed before and after) so that no queued job of another
 * run is picked up. The reindex (v1.9+) follows "Migrations: Done" and is outside the measured span
 * (OpenCRVS's events service cannot run here), so REINDEX_AFTER_RESTORE=false.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { Redis } from 'ioredis';
import { servicesEnv, up } from '../scripts/services/harness.ts';
import { freePort } from '../scripts/services/util.ts';
import { seedProfile } from '../scripts/seed/index.ts';
import { runBackup } from '../src/backup/run-backup.ts';
import { loadConfig } from '../src/config.ts';
import { clickButton, sendSlashCommand, startFakeSlack, waitFor, type FakeMessage, type FakeSlack } from '../src/fake-slack/index.ts';
import { createLogger } from '../src/log.ts';
import { createCheckpoint, type StepName, type StepRecord } from '../src/restore/checkpoint.ts';
import { stepTitle } from '../src/restore/summary.ts';
import { createRuntime } from '../src/runtime.ts';
import { APPROVAL_ACTIONS } from '../src/slack/blocks/approval-card.ts';
import { recordCount } from '../src/stores/counts.ts';
import type { StoreName } from '../src/stores/types.ts';
import { startBotProcess } from './e2e-bot.ts';
import { deployBenchStack, engineServices } from './e2e-stack.ts';

const SERVICES = ['redis', 'sshd', 'mongo', 'minio', 'elasticsearch', 'influxdb', 'postgres', 'docker'];
const REDIS_DB = 6;
const CHANNEL = 'CBENCHE2E';
const PEOPLE = { operator: 'UE2EOPER1', approverA: 'UE2EAPPRA', approverB: 'UE2EAPPRB' } as const;
const JOB_ORDER: StepName[] = ['verify', 'quiesce', 'safety-backup', 'verify-full'];
const PLATFORM_ORDER: StepName[] = ['stack-down', 'docker-restart', 'deploy', 'migrations'];

/** One part of the measured span. */
export interface E2eStep {
  /** `click→job`, a StepName of the job, or `between`. */
  name: string;
  title: string;
  ms: number;
  /** Of the total, 0–1. */
  share: number;
}

export interface E2eResult {
  scale: number;
  /** How the restore was started: the real Slack path (request + two signed clicks). */
  start: 'slack: /restore + two signed approval clicks';
  records: number;
  setBytes: number;
  /** Second approval click sent → the job's `migrations` step done (checkpoint). */
  totalMs: number;
  /** Second approval click sent → "Migrations: Done" seen in the thread by the fake Slack. */
  seenMs: number;
  steps: E2eStep[];
  /** The request's own verification: `/restore` sent → approval card posted. */
  requestToCardMs: number;
  secondClickAckMs: number;
  peakRssMiB: number;
  /** The bot's RSS once it was up, before the request. */
  readyRssMiB: number;
  migrationPollS: number;
  loadBefore: number[];
  loadAfter: number[];
}

const progressTo = (quiet: boolean) => (line: string): void => {
  if (!quiet) process.stderr.write(`restore-e2e: ${line}\n`);
};

function withDb(url: string, db: number): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function flushDb(url: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 2, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}

function buttonValue(card: FakeMessage, actionId: string): string {
  for (const block of card.blocks as Array<{ type?: string; elements?: Array<{ action_id?: string; value?: string }> }>) {
    for (const el of block.type === 'actions' ? (block.elements ?? []) : []) if (el.action_id === actionId && el.value) return el.value;
  }
  throw new Error('the approval card has no approve button');
}

/**
 * Orders the job's steps as it runs them and turns them into shares of `totalMs`. The time outside
 * any step is split in two: the gap right before the first store's restore (where the restore of
 * the stores checks the set before its first drop), and the rest.
 */
function breakdown(steps: Map<StepName, StepRecord>, stores: StoreName[], clickToJobMs: number, totalMs: number): E2eStep[] {
  const order: StepName[] = [...JOB_ORDER, ...stores.map((s) => `restore:${s}` as StepName), ...PLATFORM_ORDER];
  const out: E2eStep[] = [{ name: 'click→job', title: 'second approval click → restore job started (check at the click, queue, lock)', ms: clickToJobMs, share: 0 }];
  let previous: StepRecord | undefined;
  for (const name of order) {
    const rec = steps.get(name);
    if (!rec) continue;
    if (name === `restore:${stores[0]}` && previous?.finishedAt && rec.startedAt) {
      out.push({ name: 'gap:first-restore', title: `outside the steps, before ${stepTitle(name)} (the adapters' identity checks and planning reads before the first drop)`, ms: Math.max(0, rec.startedAt - previous.finishedAt), share: 0 });
    }
    out.push({ name, title: stepTitle(name), ms: rec.durationMs, share: 0 });
    previous = rec;
  }
  const counted = out.reduce((n, s) => n + s.ms, 0);
  out.push({ name: 'between', title: 'other time between steps (status posts, checkpoints)', ms: Math.max(0, totalMs - counted), share: 0 });
  return out.map((s) => ({ ...s, share: s.ms / totalMs }));
}

/** Seeds, backs up, then restores through Slack and the real swarm; cleans up after itself. */
export async function benchRestoreE2e(opts: { scale: number; quiet?: boolean; migrationPollSeconds?: number }): Promise<E2eResult> {
  const say = progressTo(opts.quiet ?? false);
  const loadBefore = loadavg();
  await up({ only: SERVICES, log: () => undefined });
  const base = servicesEnv();
  const redisUrl = withDb(base['REDIS_URL'] ?? '', REDIS_DB);
  const root = mkdtempSync(join(base['BACKUP_ROOT'] ?? '/tmp', 'bench-e2e-'));
  const repo = `e2e${randomBytes(3).toString('hex')}`;
  const pollS = opts.migrationPollSeconds;
  const env: Record<string, string> = {
    ...base,
    OPENCRVS_VERSION: 'v2.0',
    BACKUP_ROOT: root,
    BACKUP_SERVER_HOST: '',
    ES_REPOSITORY: repo,
    REDIS_URL: redisUrl,
    LOG_LEVEL: 'warn',
    REINDEX_AFTER_RESTORE: 'false',
  };
  const config = loadConfig(env);
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    await flushDb(redisUrl);
    say(`scale ${opts.scale}: deploying an OpenCRVS-shaped stack on the harness swarm`);
    const stack = await deployBenchStack(base, { databases: config.mongo.databases, migrations: 3, delayMs: 200 });
    cleanups.push(() => stack.remove());
    const seedStarted = Date.now();
    await seedProfile(config, 'v2.0', { scale: opts.scale, seed: 14 });
    say(`seeded in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s; taking the set with the bot's backup code`);
    const rt = createRuntime(config, createLogger('silent'));
    const made = await runBackup(rt.deps, { requestedBy: 'bench', label: `e2e-${Date.now()}` }).finally(() => rt.close());
    if (!made.ok) throw new Error(`the set made for the bench is not complete: ${made.manifest.stores.filter((s) => !s.ok).map((s) => `${s.store}: ${s.error}`).join('; ')}`);
    const label = made.manifest.label;
    const records = made.manifest.artifacts.reduce((n, a) => n + recordCount(a.store, a.counts), 0);
    const setBytes = made.manifest.artifacts.reduce((n, a) => n + a.bytes, 0);

    const fake: FakeSlack = await startFakeSlack({ botToken: 'xoxb-bench-e2e', users: Object.values(PEOPLE).map((id) => ({ id, name: id.toLowerCase() })) });
    cleanups.push(() => fake.close());
    const secret = randomBytes(24).toString('hex');
    const port = await freePort();
    const botEnv: Record<string, string> = {
      ...Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined)),
      ...env,
      ...stack.env,
      SLACK_MODE: 'http',
      SLACK_PORT: String(port),
      SLACK_BOT_TOKEN: 'xoxb-bench-e2e',
      SLACK_SIGNING_SECRET: secret,
      SLACK_API_URL: fake.apiUrl,
      SLACK_CHANNEL: CHANNEL,
      SLACK_OPERATORS: PEOPLE.operator,
      SLACK_APPROVERS: `${PEOPLE.approverA},${PEOPLE.approverB}`,
      STACK_DOWN_TIMEOUT_SECONDS: '180',
      QUIESCE_TIMEOUT_SECONDS: '180',
      MIGRATION_TIMEOUT_HOURS: '0.5',
      ...(pollS ? { MIGRATION_POLL_SECONDS: String(pollS) } : {}),
    };
    const bot = await startBotProcess(botEnv, join(dirname(base['BACKUP_ROOT'] ?? root), 'bench-e2e-bot.log'));
    cleanups.push(() => bot.stop());
    const target = { url: `http://127.0.0.1:${port}/slack/events`, signingSecret: secret };

    say(`bot up (pid ${bot.pid}); /restore ${label} and two approvals`);
    const requested = Date.now();
    const res = await sendSlashCommand(fake, target, { command: '/restore', text: label, user: PEOPLE.operator, channel: CHANNEL });
    if (res.status !== 200) throw new Error(`/restore answered ${res.status}`);
    const verifyBound = 120_000 + opts.scale * 30_000;
    const card = await waitFor(() => fake.messages.find((m) => m.channel === CHANNEL && m.text.startsWith(`Restore request ${label}`)), verifyBound, 'the approval card');
    const requestToCardMs = Date.now() - requested;
    await waitFor(() => fake.ephemerals.find((e) => e.user === PEOPLE.operator && e.text.includes('Approval requested')), 30_000, 'the requester confirmation');
    const requestId = buttonValue(card, APPROVAL_ACTIONS.approve);
    const first = await clickButton(fake, target, { user: PEOPLE.approverA, channel: CHANNEL, ts: card.ts, actionId: APPROVAL_ACTIONS.approve });
    if (first.status !== 200) throw new Error(`the first approval answered ${first.status}`);
    await waitFor(() => fake.ephemerals.find((e) => e.user === PEOPLE.approverA && e.text.includes('approval is recorded')), verifyBound, 'the first approval recorded');

    const clicked = Date.now();
    const second = await clickButton(fake, target, { user: PEOPLE.approverB, channel: CHANNEL, ts: card.ts, actionId: APPROVAL_ACTIONS.approve });
    if (second.status !== 200) throw new Error(`the second approval answered ${second.status}`);
    say('second approval sent; waiting for Migrations: Done');
    const inThread = (prefix: string): FakeMessage | undefined => fake.messages.find((m) => m.threadTs === card.ts && m.text.startsWith(prefix));
    // The label is `e2e-<digits>`: nothing to escape.
    const ended = new RegExp(`^Restore of ${label} (stopped|refused|did not start)`);
    const seenAt = await waitFor(() => (inThread('Migrations: Done') ? Date.now() : fake.messages.some((m) => m.threadTs === card.ts && ended.test(m.text)) ? -1 : undefined), 1_800_000, 'Migrations: Done in the thread');
    if (seenAt < 0) throw new Error(`the restore did not finish:\n${fake.thread(CHANNEL, card.ts).at(-1)?.text ?? ''}\n${bot.tail()}`);
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
    const cp = createCheckpoint(redis, requestId);
    const [steps, meta] = await Promise.all([cp.steps(), cp.meta()]).finally(() => redis.disconnect());
    const migrations = steps.get('migrations');
    if (migrations?.state !== 'done' || !migrations.finishedAt || !meta.startedAt) throw new Error('the checkpoint has no finished migration step');
    const totalMs = migrations.finishedAt - clicked;
    // In the order the job restored them.
    const stores = [...steps].filter(([n]) => n.startsWith('restore:')).sort((a, b) => (a[1].startedAt ?? 0) - (b[1].startedAt ?? 0)).map(([n]) => n.slice('restore:'.length) as StoreName);
    await waitFor(() => inThread('Done: restore of'), 120_000, 'the summary').catch(() => undefined);
    const peakRssMiB = bot.peakRssMiB();
    return {
      scale: opts.scale,
      start: 'slack: /restore + two signed approval clicks',
      records,
      setBytes,
      totalMs,
      seenMs: seenAt - clicked,
      steps: breakdown(steps, stores, meta.startedAt - clicked, totalMs),
      requestToCardMs,
      secondClickAckMs: second.ms,
      peakRssMiB,
      readyRssMiB: bot.readyRssMiB,
      migrationPollS: pollS ?? 10,
      loadBefore,
      loadAfter: loadavg(),
    };
  } finally {
    for (const c of cleanups.reverse()) await c().catch((err: unknown) => say(`cleanup: ${err instanceof Error ? err.message : String(err)}`));
    await fetch(`${config.elasticsearch.url}/_snapshot/${repo}`, { method: 'DELETE', signal: AbortSignal.timeout(30_000) }).catch(() => undefined);
    await flushDb(redisUrl).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
    const left = await engineServices(base).catch(() => []);
    say(`docker services left on the harness engine: ${left.length === 0 ? 'none' : left.join(', ')}`);
  }
}

const s = (ms: number): string => (ms / 1000).toFixed(1);
const pct = (share: number): string => `${(share * 100).toFixed(1)} %`;

/** One markdown table, a column pair (seconds, share) per result. */
export function e2eTable(results: E2eResult[]): string {
  const names: Array<{ name: string; title: string }> = [];
  for (const r of results) for (const st of r.steps) if (!names.some((n) => n.name === st.name)) names.push({ name: st.name, title: st.title });
  const head = `| step | ${results.map((r) => `scale ${r.scale}: s | share`).join(' | ')} |\n|---|${results.map(() => '---:|---:').join('|')}|`;
  const rows = names.map(({ name, title }) => `| ${title} | ${results.map((r) => {
    const st = r.steps.find((x) => x.name === name);
    return st ? `${s(st.ms)} | ${pct(st.share)}` : '— | —';
  }).join(' | ')} |`);
  const total = `| **total: second approval → Migrations: Done** | ${results.map((r) => `**${s(r.totalMs)}** | 100 %`).join(' | ')} |`;
  const notes = results.map((r) =>
    `- scale ${r.scale}: set of ${r.records.toLocaleString('en')} records, ${(r.setBytes / 1e6).toFixed(1)} MB; "Migrations: Done" seen in the thread after ${s(r.seenMs)} s; ` +
    `\`/restore\` → card (the request's verification) ${s(r.requestToCardMs)} s; second click acked in ${r.secondClickAckMs.toFixed(0)} ms; ` +
    `bot peak RSS ${r.peakRssMiB.toFixed(0)} MiB (${Number.isFinite(r.readyRssMiB) ? r.readyRssMiB.toFixed(0) : '?'} MiB once started); migration poll every ${r.migrationPollS} s; load average ${r.loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${r.loadAfter.map((l) => l.toFixed(2)).join(' ')} after`,
  );
  return `${head}\n${rows.join('\n')}\n${total}\n\n${notes.join('\n')}\n`;
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const scale = Number(argValue('--scale') ?? '1');
  const poll = argValue('--migration-poll-seconds');
  benchRestoreE2e({ scale, ...(poll ? { migrationPollSeconds: Number(poll) } : {}) }).then(
    (r) => {
      process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(r)}\n` : e2eTable([r]));
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`restore-e2e: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
