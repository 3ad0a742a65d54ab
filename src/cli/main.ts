/** The `crvs-backup` CLI: the same code the Slack jobs call. */
import { loadConfig } from '../config.ts';
import { resolveProfile } from '../profile/detect.ts';
import { BotError, userMessage } from '../errors.ts';
import { createLogger } from '../log.ts';
import { createRuntime, type Runtime } from '../runtime.ts';
import { parseArgs, type Args, type ArgSpec } from './args.ts';
import { AUDIT_USAGE, auditCommand } from './commands/audit.ts';
import { decryptCommand } from './commands/decrypt.ts';
import { pullCommand } from './commands/pull.ts';
import { adoptCommand } from './commands/adopt.ts';
import { BACKUP_USAGE, backupCommand } from './commands/backup.ts';
import { configCheckCommand } from './commands/config-check.ts';
import { HISTORY_USAGE, historyCommand } from './commands/history.ts';
import { listCommand } from './commands/list.ts';
import { pruneCommand } from './commands/prune.ts';
import { RESTORE_USAGE, restoreCommand } from './commands/restore.ts';
import { verifyCommand } from './commands/verify.ts';
import { HELP } from './help.ts';

type Command = (rt: Runtime, args: Args) => Promise<number>;

/** Every command with what it accepts: bad arguments are refused (exit 2) before config or any connection. */
const COMMANDS: Record<string, { run: Command } & ArgSpec> = {
  'config check': { run: configCheckCommand, valued: [], switches: ['quiet'], positional: 'none', usage: 'crvs-backup config check [--quiet]' },
  backup: { run: backupCommand, valued: ['label', 'stores', 'wait-lock'], switches: [], positional: 'none', usage: BACKUP_USAGE },
  list: { run: listCommand, valued: [], switches: ['json'], positional: 'none', usage: 'crvs-backup list [--json]' },
  verify: { run: verifyCommand, valued: [], switches: [], positional: 'label', usage: 'crvs-backup verify <label>' },
  restore: { run: restoreCommand, valued: ['stores'], switches: ['yes'], positional: 'label', usage: RESTORE_USAGE },
  adopt: { run: adoptCommand, valued: [], switches: [], positional: 'label', usage: 'crvs-backup adopt <label>' },
  prune: { run: pruneCommand, valued: [], switches: ['dry-run'], positional: 'none', usage: 'crvs-backup prune [--dry-run]' },
  pull: { run: pullCommand, valued: ['root'], switches: [], positional: 'label', usage: 'crvs-backup pull <label> [--root DIR]' },
  decrypt: { run: decryptCommand, valued: ['root'], switches: [], positional: 'label', usage: 'crvs-backup decrypt <label> [--root DIR]' },
  audit: { run: auditCommand, valued: ['user', 'request', 'since', 'limit'], switches: ['json'], positional: 'none', usage: AUDIT_USAGE },
  history: { run: historyCommand, valued: ['limit'], switches: ['json'], positional: 'none', usage: HISTORY_USAGE },
};

export async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(HELP);
    return argv.length === 0 ? 2 : 0;
  }
  const two = `${argv[0]} ${argv[1] ?? ''}`.trim();
  const name = COMMANDS[two] ? two : (argv[0] as string);
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`crvs-backup: unknown command "${argv[0]}". Run crvs-backup --help.\n`);
    return 2;
  }
  const rest = argv.slice(name.split(' ').length);
  let rt: Runtime | undefined;
  try {
    const args = parseArgs(rest, command.valued, command);
    // `decrypt` recovers files with only the key: it must not wait for servers that may not exist.
    const config = name === 'decrypt' ? loadConfig() : await resolveProfile(loadConfig());
    rt = createRuntime(config, createLogger(config.env.LOG_LEVEL === 'info' ? 'warn' : config.logLevel));
    return await command.run(rt, args);
  } catch (err) {
    process.stderr.write(`crvs-backup: ${userMessage(err)}\n`);
    return err instanceof BotError ? err.exitCode : 1;
  } finally {
    await rt?.close();
  }
}
