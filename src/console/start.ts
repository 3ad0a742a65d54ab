/**
 * `npm start`. With Slack credentials (SLACK_BOT_TOKEN in the environment or CRVS_CONFIG_FILE) it
 * runs the bot against the real Slack. Without them it runs the local console: the local services
 * (started if needed), sample data when they are empty, the bot, and a web page playing Slack.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { servicesEnv, up } from '../../scripts/services/harness.ts';
import { loadConfig, type Config } from '../config.ts';
import { InputError, userMessage } from '../errors.ts';
import { createLogger } from '../log.ts';
import { startBot, stopOnSignals } from '../main.ts';
import { servicesDirOf, startConsole } from './console.ts';

const DEFAULT_PORT = 3210;

const HELP = `npm start [-- --port N] [-- --no-seed]

Without Slack credentials: the local console on http://127.0.0.1:${DEFAULT_PORT} (a rehearsal against
local services with sample data). With SLACK_BOT_TOKEN set (and the other SLACK_* variables): the bot
on your Slack workspace.
`;

interface Args {
  port: number;
  seed: boolean;
  help: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { port: DEFAULT_PORT, seed: true, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') args.help = true;
    else if (a === '--no-seed') args.seed = false;
    else if (a === '--port') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InputError('--port needs a port number (0 = any free port)');
      args.port = n;
    } else throw new InputError(`unknown option ${a}\n${HELP}`);
  }
  return args;
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function realSlack(config: Config): Promise<void> {
  const handle = await startBot(config);
  stopOnSignals(handle);
  print(`crvs-backup-bot is running on Slack (${config.slack.mode === 'socket' ? 'Socket Mode' : `HTTP on port ${config.slack.port}`}). Ctrl-C stops it.`);
}

async function localConsole(config: Config, args: Args): Promise<void> {
  const started = Date.now();
  print('No Slack credentials (SLACK_BOT_TOKEN): starting the LOCAL CONSOLE — a rehearsal against local services.');
  print('Starting the local services (the first run installs them and can take several minutes)…');
  const services = await up({ log: (m) => print(`  ${m}`) });
  const env = servicesEnv();
  const servicesDir = servicesDirOf(env);
  mkdirSync(join(servicesDir, 'console'), { recursive: true });
  const logFile = join(servicesDir, 'console', 'bot.log');
  const logger = createLogger(config.logLevel, createWriteStream(logFile, { flags: 'a' }));
  const handle = await startConsole({
    servicesEnv: env,
    services: services.map(({ name, version, url }) => ({ name, version, url })),
    servicesDir,
    port: args.port,
    seed: args.seed,
    logger,
    logLevel: config.logLevel,
    progress: (line) => print(`  ${line}`),
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  print('');
  print(`  Local console ready in ${seconds} s:  ${handle.url}`);
  print('');
  print('  Open it in a browser. You are Alice (operator); switch to Bob and Carol (approvers) to approve.');
  print(`  Bot log: ${logFile}`);
  print('  Ctrl-C stops the bot and the console; the local services keep running (npm run services -- down stops them).');
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    print('stopping the console…');
    setTimeout(() => process.exit(1), 30_000).unref();
    handle.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** Runs `npm start`; resolves once the bot (or the console) is up. */
export async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  if (args.help) {
    print(HELP);
    return;
  }
  const config = loadConfig();
  if (config.slack.botToken) await realSlack(config);
  else await localConsole(config, args);
}

export function fail(err: unknown): never {
  process.stderr.write(`npm start: ${userMessage(err)}\n`);
  process.exit(1);
}
