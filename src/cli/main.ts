/** The `crvs-backup` CLI: the same code the Slack jobs call. */
import { CommanderError } from 'commander';
import { BotError, userMessage } from '../errors.ts';
import type { Runtime } from '../runtime.ts';
import { COMMANDS } from './commands.ts';
import { FOOTER } from './help.ts';
import { buildProgram } from './program.ts';

/** Commands that read only files, Redis or the backup server: no version detection for them. */
const STORELESS = new Set(['decrypt', 'list', 'history', 'audit', 'pull']);

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
    // Only commands that touch the stores need the OpenCRVS version; the others (decrypt recovers
    // files with only the key) must not wait for servers that may not be there.
    const config = STORELESS.has(chosen.command ?? '') ? loadConfig() : await resolveProfile(loadConfig());
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
