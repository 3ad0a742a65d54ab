/**
 * Ack latency with everything live: the whole bot (startBot: real core, BullMQ queue and workers,
 * the four stores, Redis) in HTTP mode behind the fake Slack Web API. 50 concurrent signed slash
 * commands and 50 concurrent approval clicks; the time is from sending to the receiver's answer.
 * The approval really enqueues a restore of a set made at the start (redeploy off).
 *
 *   npx tsx bench/slack-ack-live.ts
 */
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { up, servicesEnv } from '../scripts/services/harness.ts';
import { seedAll } from '../scripts/seed/index.ts';
import { loadConfig } from '../src/config.ts';
import { runBackup } from '../src/backup/run-backup.ts';
import { clickButton, sendSlashCommand, startFakeSlack, waitFor } from '../src/fake-slack/index.ts';
import { createLogger } from '../src/log.ts';
import { startBot } from '../src/main.ts';
import { createRuntime } from '../src/runtime.ts';
import { APPROVAL_ACTIONS } from '../src/slack/blocks/approval-card.ts';

const N = 50;
const SECRET = 'bench-live-signing-secret';
const CHANNEL = 'CBENCHLIVE';
const OPERATOR = 'ULIVEOPER';
const APPROVERS = ['ULIVEAPPA', 'ULIVEAPPB'] as const;

function report(name: string, ms: number[]): void {
  const s = [...ms].sort((a, b) => a - b);
  const p = (q: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil((q / 100) * s.length) - 1))] ?? Number.NaN;
  const f = (n: number): string => n.toFixed(1).padStart(7);
  console.log(`${name.padEnd(44)} n=${s.length}  p50 ${f(p(50))} ms  p99 ${f(p(99))} ms  max ${f(s.at(-1) ?? 0)} ms`);
}

async function main(): Promise<void> {
  await up({ log: () => undefined });
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
  const bot = await startBot(config, { listen: { host: '127.0.0.1', port: 0 }, logger: createLogger('silent') });
  const target = { url: `http://127.0.0.1:${bot.slack?.port()}/slack/events`, signingSecret: SECRET };
  try {
    await sendSlashCommand(fake, target, { command: '/backup', text: 'status', user: OPERATOR, channel: CHANNEL });
    await new Promise((r) => setTimeout(r, 500));
    const statuses = await Promise.all(Array.from({ length: N }, () => sendSlashCommand(fake, target, { command: '/backup', text: 'status', user: OPERATOR, channel: CHANNEL })));
    report('/backup status, 50 at once (ack)', statuses.map((r) => r.ms));
    await new Promise((r) => setTimeout(r, 1000));
    const restores = await Promise.all(Array.from({ length: N }, () => sendSlashCommand(fake, target, { command: '/restore', text: label, user: OPERATOR, channel: CHANNEL })));
    report('/restore <label>, 50 at once (ack)', restores.map((r) => r.ms));
    const cards = await waitFor(() => {
      const c = fake.messages.filter((m) => m.text.startsWith('Restore request'));
      return c.length === N ? c : undefined;
    }, 300_000, 'all approval cards (each request verifies the whole set)');
    const card = cards[0];
    if (!card) throw new Error('no approval card');
    const clicks = await Promise.all(Array.from({ length: N }, (_, i) => clickButton(fake, target, { user: APPROVERS[i % 2] ?? APPROVERS[0], channel: CHANNEL, ts: card.ts, actionId: APPROVAL_ACTIONS.approve })));
    report('approve clicks on one card, 50 at once (ack)', clicks.map((r) => r.ms));
    await waitFor(() => (JSON.stringify(fake.message(CHANNEL, card.ts)?.blocks).includes('*Approved*') ? true : undefined), 120_000, 'approved card');
    console.log('card approved; one restore job enqueued (waiting for it to finish)');
    await waitFor(() => (fake.messages.some((m) => /Restore .* (finished|complete|done)/i.test(m.text)) ? true : undefined), 600_000, 'restore finished').catch(() => console.log('restore did not report completion within 10 min'));
  } finally {
    await bot.stop();
    await fake.close();
  }
}

await main();
process.exit(0);
