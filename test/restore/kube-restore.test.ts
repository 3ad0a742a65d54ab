/**
 * A /restore on the Kubernetes platform, end to end: the whole bot (bin/start.js: Slack over HTTP
 * against the fake Web API, its workers) runs as a process with PLATFORM=kubernetes; the restore is
 * asked for and approved through signed requests; the job quiesces the release's Deployments on the
 * harness's real API server, restores MongoDB (real), redeploys with the deployment's command (a
 * stand-in for `helm upgrade --reuse-values`: test/fixtures/kubernetes/helm-upgrade.mjs, which
 * really scales and makes the hook Jobs on the API server) and watches the hook Jobs to Complete.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../src/backup/run-backup.ts';
import { clickButton, sendSlashCommand, startFakeSlack, waitFor, type FakeSlack } from '../../src/fake-slack/index.ts';
import { createLogger } from '../../src/log.ts';
import { APPROVAL_ACTIONS } from '../../src/slack/blocks/approval-card.ts';
import { createAdapters } from '../../src/stores/registry.ts';
import { freePort } from '../../scripts/services/util.ts';
import { servicesEnv, testConfig } from '../helpers/env.ts';
import { APPS, DATA_STORES, deployRelease, kubeClients, kubeEnv, namespaceName, removeNamespace, runningPods, until } from '../helpers/kube.ts';
import { dropMongo, mutateMongo, seedMongo, snapshotMongo, testDatabases } from './helpers.ts';

const PROJECT = resolve(import.meta.dirname, '..', '..');
const SECRET = `signing-${randomBytes(8).toString('hex')}`;
const TOKEN = `xoxb-kube-${randomBytes(6).toString('hex')}`;
const CHANNEL = 'COPSKUBE1';
const USERS = { operator: 'UOPERKUBE', approverA: 'UAPPRKUBA', approverB: 'UAPPRKUBB' };

const cleanups: Array<() => Promise<void>> = [];
let bot: ChildProcess | undefined;
let slack: FakeSlack | undefined;

async function stopBot(): Promise<void> {
  const child = bot;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const killed = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(killed);
}

afterAll(async () => {
  await stopBot();
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  await slack?.close();
});

describe('/restore on Kubernetes', () => {
  it('quiesces the release on the API server, restores, redeploys once, watches the hook Jobs to Complete and reports in the thread', { timeout: 420_000 }, async () => {
    const env = servicesEnv();
    const dbs = testDatabases();
    const namespace = namespaceName();
    const k = kubeClients();
    const dir = mkdtempSync(join(env['BACKUP_ROOT'] as string, 'kube-bot-'));
    const commands = join(dir, 'commands.log');
    // A Redis database of its own (the bot's queues and locks are global names).
    const redisUrl = `${env['REDIS_URL']?.replace(/\/\d*$/, '')}/13`;
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
    await redis.flushdb();
    cleanups.push(async () => {
      redis.disconnect();
      rmSync(dir, { recursive: true, force: true });
    });
    slack = await startFakeSlack({ botToken: TOKEN, users: Object.entries(USERS).map(([name, id]) => ({ id, name })) });
    const port = await freePort();
    const { BACKUP_ROOT: _shared, ...services } = env;
    const botEnv: Record<string, string> = {
      ...services,
      BACKUP_ROOT: join(dir, 'backups'),
      BACKUP_STORES: 'mongo',
      MONGO_DATABASES: dbs.join(','),
      REDIS_URL: redisUrl,
      ...kubeEnv(namespace),
      KUBE_REDEPLOY_COMMAND: `node ${join(PROJECT, 'test', 'fixtures', 'kubernetes', 'helm-upgrade.mjs')} ${namespace} ${commands}`,
      QUIESCE_TIMEOUT_SECONDS: '120',
      MIGRATION_POLL_SECONDS: '1',
      MIGRATION_PROGRESS_SECONDS: '2',
      MIGRATION_TIMEOUT_HOURS: '0.05',
      SLACK_MODE: 'http',
      SLACK_PORT: String(port),
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
      SLACK_CHANNEL: CHANNEL,
      SLACK_OPERATORS: USERS.operator,
      SLACK_APPROVERS: `${USERS.approverA},${USERS.approverB}`,
      LOG_LEVEL: 'info',
    };
    const cfg = testConfig(botEnv);

    // 1. A set of the seeded data, the data changed since, and OpenCRVS's release running.
    await seedMongo(cfg.mongo.url, dbs);
    cleanups.push(() => dropMongo(cfg.mongo.url, dbs));
    const before = await snapshotMongo(cfg.mongo.url, dbs);
    const adapters = createAdapters(cfg, createLogger('silent'));
    cleanups.push(async () => void (await Promise.allSettled([...adapters.values()].map((a) => a.close()))));
    const label = `set-${randomBytes(3).toString('hex')}`;
    expect((await runBackup({ config: cfg, logger: createLogger('silent'), adapters, botVersion: 'test' }, { label, requestedBy: 'U0SEEDER' })).ok).toBe(true);
    await mutateMongo(cfg.mongo.url, dbs);
    cleanups.push(() => removeNamespace(k, namespace));
    await deployRelease(k, namespace);

    // 2. The bot, its configuration in a file (secrets never in argv).
    const file = join(dir, 'bot.env');
    writeFileSync(file, Object.entries(botEnv).map(([key, v]) => `${key}=${v}`).join('\n') + '\n', { mode: 0o600 });
    const log = join(dir, 'bot.log');
    const fd = openSync(log, 'a');
    bot = spawn(process.execPath, ['bin/start.js'], { cwd: PROJECT, env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', CRVS_CONFIG_FILE: file }, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const botLog = (): string => (existsSync(log) ? readFileSync(log, 'utf8').slice(-4000) : '');
    const target = { url: `http://127.0.0.1:${port}/slack/events`, signingSecret: SECRET };
    await until('the bot to answer', 120_000, async () => (await fetch(target.url, { method: 'POST', body: '{}' }).catch(() => undefined)) !== undefined).catch((err: unknown) => {
      throw new Error(`${String(err)}\nbot log:\n${botLog()}`);
    });

    // Watches the release while the restore runs: the lowest pod counts seen.
    const lowest: Record<string, number> = {};
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const now = await runningPods(k, namespace).catch(() => undefined);
        if (now) for (const name of [...APPS, ...DATA_STORES]) lowest[name] = Math.min(lowest[name] ?? 1, now[name] ?? 0);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    // 3. Asked for and approved through signed requests, as Slack sends them.
    const asked = await sendSlashCommand(slack, target, { command: '/restore', text: label, user: USERS.operator, channel: CHANNEL });
    expect(asked.status).toBe(200);
    const fake = slack;
    const card = await waitFor(() => fake.messages.find((m) => m.text.startsWith(`Restore request ${label}`)), 30_000, 'approval card');
    await waitFor(() => fake.ephemerals.find((e) => e.user === USERS.operator && e.text.includes('Approval requested')), 10_000, 'requester confirmation');
    for (const user of [USERS.approverA, USERS.approverB]) {
      const res = await clickButton(fake, target, { user, channel: card.channel, ts: card.ts, actionId: APPROVAL_ACTIONS.approve });
      expect(res.status).toBe(200);
    }

    // 4. The job runs to its end.
    const summary = await waitFor(() => fake.thread(CHANNEL, card.ts).find((m) => /^(Done: restore|Restore of .* (stopped|refused))/.test(m.text)), 360_000, 'the restore to end').catch((err: unknown) => {
      throw new Error(`${String(err)}\nthread:\n${fake.thread(CHANNEL, card.ts).map((m) => m.text).join('\n---\n')}\nbot log:\n${botLog()}`);
    });
    watching = false;
    await watcher;
    const thread = fake.thread(CHANNEL, card.ts).map((m) => m.text);
    expect(summary.text, thread.join('\n---\n')).toMatch(/^Done: restore of set-/);
    expect(thread.join('\n')).toContain(`OpenCRVS is stopped for the restore: 5 application service(s) of \`${namespace}\` scaled to 0 (were: ${APPS.map((a) => `deployment/${a} ×1`).join(', ')})`);
    // The application pods really went; the data stores never did; no engine restart on Kubernetes.
    for (const a of APPS) expect(lowest[a], a).toBe(0);
    for (const s of DATA_STORES) expect(lowest[s], s).toBe(1);
    expect(thread.join('\n')).not.toMatch(/Docker was restarted/);
    // One redeploy; the hook Jobs and the reindex Job Complete; the release runs again; the data is the set's.
    expect(readFileSync(commands, 'utf8').trim().split('\n')).toEqual(['deploy']);
    expect(thread.find((t) => t.startsWith('Migrations'))).toMatch(/^Migrations: Done/);
    // Helm does not wait for the pods (no --wait): they come up shortly after.
    await until('every pod of the release running again', 120_000, async () => {
      const running = await runningPods(k, namespace);
      return [...APPS, ...DATA_STORES].every((name) => running[name] === 1);
    });
    const after = await snapshotMongo(cfg.mongo.url, dbs);
    expect(after.data).toEqual(before.data);
  });
});
