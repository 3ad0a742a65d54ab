/**
 * The local console in a real browser (Debian's chromium driven by playwright-core): a newcomer's
 * rehearsal — /backup, its message becoming the report; /restore, two approvers (switching user),
 * the confirmation dialog, the redeploy on the manager node (the local Docker engine), the migrations reaching Done
 * and the card ending as Restored.
 * Real servers throughout (harness services, the bot's HTTP receiver); only Slack is the fake.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PROJECT_ROOT } from '../../scripts/services/harness.ts';
import { servicesDirOf, startConsole, type ConsoleHandle } from '../../src/console/console.ts';
import { PEOPLE } from '../../src/console/people.ts';
import { createLogger } from '../../src/log.ts';
import { loadConfig } from '../../src/config.ts';
import { seedProfile } from '../../scripts/seed/index.ts';

const ARTIFACTS = join(PROJECT_ROOT, 'test-artifacts');
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let consoleApp: ConsoleHandle;
let context: BrowserContext;
let page: Page;
let profile: string;
let backupRoot: string;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const env = inject('servicesEnv');
  backupRoot = mkdtempSync(join(env['BACKUP_ROOT'] ?? tmpdir(), 'console-test-'));
  // `npm run seed -- --profile v1.9`: the console then detects a current deployment (PostgreSQL included).
  await seedProfile(loadConfig({ ...env, LOG_LEVEL: 'silent' }), 'v1.9', { scale: 0.5, seed: 8 });
  consoleApp = await startConsole({
    servicesEnv: env,
    services: inject('services'),
    servicesDir: servicesDirOf(env),
    backupRoot,
    // Its own Redis database: the console flushes it at start.
    redisDb: 2,
    port: 0,
    logger: createLogger('info', createWriteStream(join(ARTIFACTS, 'console-bot.log'))),
  });
  // A fresh profile (Playwright passes it to chromium as --user-data-dir).
  profile = mkdtempSync(join(tmpdir(), 'console-chromium-'));
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1440, height: 1100 } });
  page = context.pages()[0] ?? (await context.newPage());
});

afterAll(async () => {
  await context?.close();
  await consoleApp?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (backupRoot) rmSync(backupRoot, { recursive: true, force: true });
});

async function command(text: string): Promise<void> {
  await page.fill('#command-input', text);
  await page.press('#command-input', 'Enter');
}

async function beUser(name: string): Promise<void> {
  await page.locator('.person', { hasText: name }).click();
  const id = PEOPLE.find((p) => p.name === name)?.id;
  await expect.poll(() => page.textContent('#viewing-as')).toBe(name);
  // The channel as this user sees it has arrived (ephemerals differ per user).
  await page.locator(`#messages[data-user="${id}"]`).waitFor({ timeout: 10_000 });
}

/** The root message (with its thread) whose text contains `text`. */
function root(text: string) {
  return page.locator('#messages .root', { hasText: text });
}

async function approveAs(name: string, cardText: string, screenshot?: string): Promise<void> {
  await beUser(name);
  const card = root(cardText);
  await card.getByRole('button', { name: 'Approve restore' }).click();
  const dialog = page.locator('dialog#confirm');
  await expect.poll(() => dialog.isVisible()).toBe(true);
  expect(await dialog.textContent()).toContain('Approve this restore?');
  expect(await dialog.textContent()).toContain('This cannot be undone.');
  if (screenshot) await page.screenshot({ path: join(ARTIFACTS, screenshot) });
  await dialog.getByRole('button', { name: 'Approve' }).click();
}

describe('the local console in a browser', () => {
  it('rehearses a backup and a two-person-approved restore through to migrations Done', { timeout: 300_000 }, async () => {
    const label = `console-e2e-${randomBytes(3).toString('hex')}`;
    await page.goto(consoleApp.url);
    expect(await page.textContent('.rehearsal-banner')).toContain('REHEARSAL');
    expect(await page.textContent('#viewing-as')).toBe('Alice');

    // Backup: ONE root message, which becomes the report; the details are in its thread.
    await command(`/backup ${label}`);
    await root(label).waitFor({ timeout: 10_000 });
    const report = root(label).filter({ hasText: 'Backup complete' });
    await report.waitFor({ timeout: 120_000 });
    await report.locator('.thread .msg', { hasText: 'Verification: ok' }).waitFor({ timeout: 30_000 });
    expect(await root(label).count()).toBe(1);
    const reportText = (await report.textContent()) ?? '';
    expect(reportText).not.toContain('queued by');
    expect(reportText).not.toContain('report in');
    for (const store of ['mongo', 'postgres', 'elasticsearch', 'influxdb', 'minio', 'folders']) expect(reportText).toMatch(new RegExp(`✓\\s*${store}`));

    // Restore request: the card for everyone, the confirmation only for Alice.
    await command(`/restore ${label}`);
    const cardText = `Restore request: ${label}`;
    await root(cardText).waitFor({ timeout: 30_000 });
    await page.locator('.ephemeral', { hasText: 'Approval requested' }).waitFor({ timeout: 10_000 });
    expect(await root(cardText).textContent()).toMatch(/postgres: now [\d,]+ → in set [\d,]+/);

    // Dave has no role: he does not see Alice's ephemeral and his approval is refused.
    await beUser('Dave');
    await root(cardText).waitFor();
    expect(await page.locator('.ephemeral', { hasText: 'Approval requested' }).count()).toBe(0);
    await approveAs('Dave', cardText);
    await page.locator('.ephemeral', { hasText: 'Only approvers can approve a restore' }).waitFor({ timeout: 15_000 });
    expect(await root(cardText).textContent()).toContain('0 of 2');

    await approveAs('Bob', cardText, 'console-confirm.png');
    await expect.poll(async () => (await root(cardText).textContent()) ?? '', { timeout: 15_000 }).toMatch(/1 of 2/);
    await approveAs('Carol', cardText);
    await expect.poll(async () => (await root(cardText).textContent()) ?? '', { timeout: 15_000 }).toMatch(/Approved by @Bob, @Carol|Approved by @Carol, @Bob/);
    expect(await root(cardText).getByRole('button').count()).toBe(0);

    // The thread: OpenCRVS stopped, stores restored, redeploy on the local engine, migrations running then Done.
    // The progress message comes first; the summary posted after it names the step too.
    const migration = root(cardText).locator('.msg.reply', { hasText: 'Migrations:' }).first();
    await migration.waitFor({ timeout: 120_000 });
    await expect.poll(async () => (await migration.textContent()) ?? '', { timeout: 120_000, interval: 500 }).toContain('Migrations: Done');
    const migrationText = (await migration.textContent()) ?? '';
    // The migration service really ran (its migrations were already in the set: nothing new to apply).
    expect(migrationText).toMatch(/applied/);
    expect(migrationText).toContain('Complete');
    await root(cardText).locator('.msg.reply', { hasText: `Done: restore of ${label}` }).waitFor({ timeout: 30_000 });
    // The card itself ends as "Restored", not "queued; progress follows".
    await expect.poll(async () => (await root(cardText).textContent()) ?? '', { timeout: 30_000 }).toContain('Restored — see thread');
    expect(await root(cardText).textContent()).not.toContain('is queued');
    const threadText = (await root(cardText).textContent()) ?? '';
    expect(threadText).toContain('Redeploy (FACTORY_RESET=no)');
    // Every store of a v1.9 deployment restored and counted, PostgreSQL and the folders included.
    const summary = (await root(cardText).locator('.msg.reply', { hasText: `Done: restore of ${label}` }).textContent()) ?? '';
    for (const store of ['mongo', 'postgres', 'elasticsearch', 'influxdb', 'minio', 'folders']) expect(summary).toContain(store);
    expect(summary).toMatch(/events \(PostgreSQL\) \d+/);
    expect(threadText).toContain('Stop OpenCRVS (scale its services to 0)');
    expect(threadText).toContain('OpenCRVS is stopped for the restore: 5 application service(s)');
    expect(threadText).toMatch(/Safety backup of the data before the restore: pre-restore-/);

    // Two views for people to look at: the card with the start of its thread, and the end of the thread.
    await root(cardText).evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: join(ARTIFACTS, 'console-restore-card.png') });
    await page.locator('#messages').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await page.screenshot({ path: join(ARTIFACTS, 'console-restore.png') });
  });
});
