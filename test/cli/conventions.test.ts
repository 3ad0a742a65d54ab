/**
 * The CLI follows the conventions a newcomer expects: every command and sub-command answers
 * --help (usage, options, an example; exit 0), `help <command>` does the same, --version prints
 * the package's version, and a missing command shows the help and exits 2.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

// No services are needed: --help and --version never read the configuration.
const env = { LOG_LEVEL: 'silent' };

/** Every command with the options its help must list. */
const COMMANDS: Array<[string, string[]]> = [
  ['config', ['check']],
  ['config check', ['--quiet', '--json']],
  ['backup', ['--label', '--stores', '--wait-lock']],
  ['list', ['--json']],
  ['verify', ['<label>', '--json']],
  ['adopt', ['<label>', '--archive', '--passphrase-file']],
  ['restore', ['<label>', '--yes', '--stores']],
  ['pull', ['<label>', '--root']],
  ['decrypt', ['<label>', '--root']],
  ['history', ['--limit', '--json']],
  ['audit', ['--user', '--request', '--since', '--limit', '--json']],
  ['prune', ['--dry-run']],
];

describe('crvs-backup conventions', () => {
  it.each(COMMANDS)('`%s --help` shows its usage, options and an example, exit 0', async (command, options) => {
    const r = await runCli([...command.split(' '), '--help'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: crvs-backup ${command} `));
    for (const o of options) expect(r.stdout).toContain(o);
    expect(r.stdout).toMatch(new RegExp(`Examples?:\\n  \\$ .*crvs-backup ${command.split(' ')[0]}`));
  });

  it('`help <command>` is the same as `<command> --help`', async () => {
    const a = await runCli(['help', 'restore'], env);
    const b = await runCli(['restore', '-h'], env);
    expect(a.code).toBe(0);
    expect(a.stdout).toContain('Usage: crvs-backup restore <label> --yes');
    expect(a.stdout).toBe(b.stdout);
  });

  it('the top-level help lists every command', async () => {
    const r = await runCli(['--help'], env);
    expect(r.code).toBe(0);
    for (const [command] of COMMANDS) expect(r.stdout).toContain(command);
    expect(r.stdout).toContain('Exit codes: 0 ok, 1 failed');
  });

  it('--version prints the version of the package', async () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag], env);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(pkg.version);
    }
  });

  it('no command: the help on stderr and exit 2; a group without its sub-command likewise', async () => {
    const none = await runCli([], env);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: crvs-backup <command>');
    expect(none.stdout).toBe('');
    const group = await runCli(['config'], env);
    expect(group.code).toBe(2);
    expect(group.stderr).toContain('crvs-backup config needs a command');
  });

  it('a mistyped option or command gets a suggestion, exit 2', async () => {
    const option = await runCli(['list', '--jsn'], env);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain('Unknown option "--jsn". Did you mean --json? Usage: crvs-backup list [--json]');
    const command = await runCli(['verfy', '2026-11-26'], env);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('unknown command "verfy". Did you mean verify?');
  });
});
