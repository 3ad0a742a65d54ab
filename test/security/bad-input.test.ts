/**
 * Bad input gets a clear error and nothing is lost: CLI arguments (exit 2, a usage line, never a
 * stack), Slack command text, and tampered files — a manifest whose paths climb out of the backup
 * root or point at another store's folder, and an offsite record naming files outside its set.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudit } from '../../src/audit/log.ts';
import { sendSlashCommand, waitFor } from '../../src/fake-slack/index.ts';
import { copySetOffsite } from '../../src/offsite/index.ts';
import { FINGERPRINTS } from '../contract/fingerprints.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { servicesEnv, testConfig } from '../helpers/env.ts';
import { makeSet } from '../helpers/offsite-set.ts';
import { CHANNEL, startTestBot, USERS, type TestBot } from '../slack/helpers/bot.ts';
import { seedMinio } from '../../scripts/seed/minio.ts';

const STACK = /\n\s+at .+:\d+:\d+\)?/;

function expectRefused(r: CliResult, code: number, message: RegExp): void {
  expect(r.stderr, r.stdout).toMatch(message);
  expect(r.stderr).not.toMatch(STACK);
  expect(r.code, r.stderr).toBe(code);
}

describe('CLI arguments', () => {
  let env: Record<string, string>;
  beforeAll(() => {
    const root = mkdtempSync(join(servicesEnv()['BACKUP_ROOT'] ?? '/tmp', 'badinput-'));
    env = { ...servicesEnv(), BACKUP_ROOT: root, LOG_LEVEL: 'silent', REDIS_URL: `${servicesEnv()['REDIS_URL'] ?? ''}/12` };
  });

  const cases: Array<[string, string[], RegExp]> = [
    ['no label', ['verify'], /Missing the set label\. Usage: crvs-backup verify <label>/],
    ['two labels', ['verify', 'a', 'b'], /Expected one set label, got 2 arguments/],
    ['a path as label', ['verify', '../../etc/passwd'], /"\.\.\/\.\.\/etc\/passwd" is not a valid label/],
    ['an absolute path as label', ['restore', '/etc', '--yes'], /"\/etc" is not a valid label/],
    ['a unicode label', ['adopt', 'ñandú-2026'], /is not a valid label/],
    ['a very long label, shown shortened', ['verify', 'x'.repeat(5000)], /"x{59}…" is not a valid label/],
    ['a switch given a value', ['restore', '2026-11-26', '--yes=no'], /--yes takes no value \(got "no"\)/],
    ['an empty value', ['backup', '--label='], /--label needs a value/],
    ['a missing value', ['history', '--limit'], /--limit needs a value/],
    ['a positional where none is taken', ['backup', '2026-11-26'], /Unexpected argument "2026-11-26"\. Usage: crvs-backup backup/],
    ['extra words after list', ['list', 'everything'], /Unexpected argument "everything"/],
    ['an unknown option', ['config', 'check', '--verbose'], /Unknown option "--verbose"\. Usage: crvs-backup config check/],
    ['a bad label for backup', ['backup', '--label', '../../x'], /"\.\.\/\.\.\/x" is not a valid label/],
    ['a label with a control character', ['pull', 'a\nb'], /"a\\nb" is not a valid label/],
    ['a decrypt outside the root', ['decrypt', '../x'], /is not a valid label/],
    ['an unknown store', ['restore', '2026-11-26', '--yes', '--stores', 'mongo,mysql'], /unknown: mysql/],
    ['a bad limit', ['audit', '--limit', '-5'], /--limit must be a whole number/],
    ['a bad date', ['audit', '--since', 'yesterday'], /--since must be a date/],
  ];

  it.each(cases)('refuses %s with exit 2 and a clear message', async (_what, args, message) => {
    expectRefused(await runCli(args, env), 2, message);
  });

  it('an unknown command names itself and exits 2', async () => {
    expectRefused(await runCli(['bakcup'], env), 2, /unknown command "bakcup"/);
  });
});

describe('a tampered manifest is refused by verify and restore, and nothing is touched', () => {
  let env: Record<string, string>;
  let root: string;
  const source = 'tamper-src';

  beforeAll(async () => {
    const config = testConfig();
    root = config.backupRoot;
    env = { ...servicesEnv(), BACKUP_ROOT: root, BACKUP_SERVER_HOST: '', LOG_LEVEL: 'silent', REDIS_URL: `${servicesEnv()['REDIS_URL'] ?? ''}/12` };
    // Its own data: the file must not depend on what earlier test files left in MinIO.
    await seedMinio(config, { scale: 0.2, seed: 3 });
    const b = await runCli(['backup', '--stores', 'minio', '--label', source], env);
    expect(b.code, b.stdout + b.stderr).toBe(0);
  });

  function tamper(label: string, edit: (m: { label: string; artifacts: Array<{ path: string }> }) => void): void {
    const m = JSON.parse(readFileSync(join(root, 'manifests', `${source}.json`), 'utf8')) as { label: string; artifacts: Array<{ path: string }> };
    m.label = label;
    edit(m);
    writeFileSync(join(root, 'manifests', `${label}.json`), JSON.stringify(m, null, 2));
  }

  it.each([
    ['climbs out of the backup root', 'tamper-up', (m: { artifacts: Array<{ path: string }> }) => void ((m.artifacts[0] as { path: string }).path = '../../../etc/passwd'), /artifacts\.0\.path: must be a relative path inside the backup root/],
    ['is absolute', 'tamper-abs', (m: { artifacts: Array<{ path: string }> }) => void ((m.artifacts[0] as { path: string }).path = '/etc/passwd'), /must be a relative path inside the backup root/],
    ["points at another store's folder", 'tamper-other', (m: { artifacts: Array<{ path: string }> }) => void ((m.artifacts[0] as { path: string }).path = 'audit/audit.jsonl'), /must be inside the folder of its store/],
    ['names another set', 'tamper-label', (m: { label: string }) => void (m.label = 'someone-else'), /names another set \(someone-else\)/],
  ])('a manifest that %s', async (_what, label, edit, message) => {
    tamper(label, edit);
    const config = testConfig({ BACKUP_ROOT: root });
    const before = await FINGERPRINTS.minio(config);
    const v = await runCli(['verify', label], env);
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(message);
    expect(v.stdout).toContain('the set cannot be trusted');
    const r = await runCli(['restore', label, '--yes', '--stores', 'minio'], env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(STACK);
    expect(await FINGERPRINTS.minio(config)).toBe(before);
  });

  it('list still works and leaves the tampered sets out; the sound set still verifies', async () => {
    const list = await runCli(['list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(source);
    expect(list.stdout).not.toContain('tamper-up');
    expect((await runCli(['verify', source], env)).code).toBe(0);
  });
});

describe('a tampered offsite set is refused by pull, and the local root is untouched', () => {
  function sha(text: string): string {
    return createHash('sha256').update(text).digest('hex');
  }

  it('refuses a record naming a file outside the set, and a manifest path climbing out', async () => {
    const base = testConfig();
    const remote = join(base.backupServer?.dir ?? '', `tamper-${Date.now()}`);
    const config = testConfig({ BACKUP_ROOT: base.backupRoot, BACKUP_SERVER_DIR: remote });
    const manifest = await makeSet(config.backupRoot, 'pull-tamper', { es: false });
    await copySetOffsite({ config, manifest, localRoot: config.backupRoot, key: null });

    // The record now also "holds" the audit log: pulling it would overwrite the local one.
    const evil = '{"user":"mallory","action":"nothing happened"}\n';
    mkdirSync(join(remote, 'pull-tamper', 'audit'), { recursive: true });
    writeFileSync(join(remote, 'pull-tamper', 'audit', 'audit.jsonl'), evil);
    const recordFile = join(remote, 'pull-tamper', 'offsite.json');
    const record = JSON.parse(readFileSync(recordFile, 'utf8')) as { files: unknown[] };
    record.files.push({ path: 'audit/audit.jsonl', remote: 'audit/audit.jsonl', bytes: evil.length, sha256: sha(evil) });
    writeFileSync(recordFile, JSON.stringify(record));

    const fresh = mkdtempSync(join(base.backupRoot, 'fresh-'));
    mkdirSync(join(fresh, 'audit'));
    writeFileSync(join(fresh, 'audit', 'audit.jsonl'), '{"user":"U1","action":"real entry"}\n');
    const env = { ...servicesEnv(), BACKUP_ROOT: fresh, BACKUP_SERVER_DIR: remote, LOG_LEVEL: 'silent' };
    const r = await runCli(['pull', 'pull-tamper'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/names a file its manifest does not have: "audit\/audit.jsonl"/);
    expect(readFileSync(join(fresh, 'audit', 'audit.jsonl'), 'utf8')).toContain('real entry');

    // A manifest whose artifact climbs out of the root is refused before anything is fetched.
    const manifestFile = join(remote, 'pull-tamper', 'manifests', 'pull-tamper.json');
    const m = JSON.parse(readFileSync(manifestFile, 'utf8')) as { artifacts: Array<{ path: string }> };
    (m.artifacts[0] as { path: string }).path = '../../outside.gz';
    writeFileSync(manifestFile, JSON.stringify(m));
    const r2 = await runCli(['pull', 'pull-tamper'], env);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/unsafe path in manifest: "\.\.\/\.\.\/outside\.gz"/);
    expect(r2.stderr).not.toMatch(STACK);
  });
});

describe('Slack command text', () => {
  let bot: TestBot;
  beforeAll(async () => {
    bot = await startTestBot();
  });
  afterAll(async () => {
    await bot?.close();
  });

  async function command(cmd: string, text: string): Promise<string> {
    const before = bot.fake.ephemerals.length;
    const res = await sendSlashCommand(bot.fake, bot.target, { command: cmd, text, user: USERS.operator, channel: CHANNEL });
    expect(res.status).toBe(200);
    return waitFor(() => bot.fake.ephemerals.slice(before).find((e) => e.user === USERS.operator)?.text, 5000, `reply to ${cmd}`);
  }

  it.each([
    ['/backup, 4000 characters', '/backup', 'x'.repeat(4000), /is not something I understand/],
    ['/backup, unicode', '/backup', 'ñandú-😀', /is not something I understand/],
    ['/backup, backticks and a mention', '/backup', 'a`b` <!channel>', /is not something I understand/],
    ['/backup, two lines', '/backup', 'two\nlines', /is not something I understand/],
    ['/restore, a relative path', '/restore', '../../etc', /Usage: `\/restore <date\|label>`/],
    ['/restore, an absolute path', '/restore', '/etc/passwd', /Usage: `\/restore <date\|label>`/],
    ['/restore, 4000 characters', '/restore', 'y'.repeat(4000), /Usage: `\/restore <date\|label>`/],
    ['/restore, a shell command', '/restore', '2026-11-26; rm -rf /', /Usage: `\/restore <date\|label>`/],
  ])('%s: a short, clear reply, nothing started', async (_what, cmd, text, reply) => {
    const shown = await command(cmd, text);
    expect(shown).toMatch(reply);
    expect(shown.length).toBeLessThan(3000);
    expect(shown).not.toContain('x'.repeat(100));
    expect(bot.core.backups).toHaveLength(0);
    expect(bot.core.restores).toHaveLength(0);
  });

  it('the audit log keeps every refusal, each bounded in length', async () => {
    const entries = await readAudit(bot.config.backupRoot);
    const refusals = entries.filter((e) => e.outcome === 'refused: bad input');
    expect(refusals.length).toBeGreaterThanOrEqual(8);
    for (const e of refusals) expect(e.action.length).toBeLessThanOrEqual(300);
  });
});
