/** The `crvs-backup` CLI: the same code the Slack jobs call. */
import { loadConfig } from '../config.ts';
import { BotError, userMessage } from '../errors.ts';
import { createLogger } from '../log.ts';
import { createRuntime, type Runtime } from '../runtime.ts';
import { parseArgs, type Args } from './args.ts';
import { auditCommand } from './commands/audit.ts';
import { decryptCommand } from './commands/decrypt.ts';
import { pullCommand } from './commands/pull.ts';
import { adoptCommand } from './commands/adopt.ts';
import { backupCommand } from './commands/backup.ts';
import { configCheckCommand } from './commands/config-check.ts';
import { historyCommand } from './commands/history.ts';
import { listCommand } from './commands/list.ts';
import { pruneCommand } from './commands/prune.ts';
import { restoreCommand } from './commands/restore.ts';
import { verifyCommand } from './commands/verify.ts';
import { HELP } from './help.ts';

type Command = (rt: Runtime, args: Args) => Promise<number>;

const COMMANDS: Record<string, { run: Command; valued: string[] }> = {
  'config check': { run: configCheckCommand, valued: [] },
  backup: { run: backupCommand, valued: ['label', 'stores', 'wait-lock'] },
  list: { run: listCommand, valued: [] },
  verify: { run: verifyCommand, valued: [] },
  restore: { run: restoreCommand, valued: ['stores'] },
  adopt: { run: adoptCommand, valued: [] },
  prune: { run: pruneCommand, valued: [] },
  pull: { run: pullCommand, valued: ['root'] },
  decrypt: { run: decryptCommand, valued: ['root'] },
  audit: { run: auditCommand, valued: ['user', 'request', 'since', 'limit'] },
  history: { run: historyCommand, valued: ['limit'] },
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
    const args = parseArgs(rest, command.valued);
    const config = loadConfig();
    rt = createRuntime(config, createLogger(config.env.LOG_LEVEL === 'info' ? 'warn' : config.logLevel));
    return await command.run(rt, args);
  } catch (err) {
    process.stderr.write(`crvs-backup: ${userMessage(err)}\n`);
    return err instanceof BotError ? err.exitCode : 1;
  } finally {
    await rt?.close();
  }
}
