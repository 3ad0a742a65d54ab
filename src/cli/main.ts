/** The `crvs-backup` CLI: the same code the Slack jobs call. */
import { CommanderError } from 'commander';
import { BotError, userMessage } from '../errors.ts';
import type { Runtime } from '../runtime.ts';
import { COMMANDS } from './commands.ts';
import { FOOTER } from './help.ts';
import { buildProgram } from './program.ts';

export async function main(argv: string[]): Promise<number> {
  const { program, chosen } = buildProgram(COMMANDS, FOOTER);
  let rt: Runtime | undefined;
  try {
    // Bad arguments are refused here (exit 2), before the configuration is read or anything connects.
    program.parse(argv, { from: 'user' });
    const run = chosen.run;
    if (!run) return 2;
    // Loaded only now: the store clients behind the runtime take a while to load, help does not need them.
    const [{ loadConfig }, { createLogger }, { createRuntime }, { resolveProfile }] = await Promise.all([import('../config.ts'), import('../log.ts'), import('../runtime.ts'), import('../profile/detect.ts')]);
    // `decrypt` recovers files with only the key: it must not wait for servers that may not exist.
    const config = chosen.command === 'decrypt' ? loadConfig() : await resolveProfile(loadConfig());
    rt = createRuntime(config, createLogger(config.env.LOG_LEVEL === 'info' ? 'warn' : config.logLevel));
    return await run(rt);
  } catch (err) {
    // --help and --version end parsing with exit code 0; what they print is already out.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    process.stderr.write(`crvs-backup: ${userMessage(err)}\n`);
    return err instanceof BotError ? err.exitCode : 1;
  } finally {
    await rt?.close();
  }
}
