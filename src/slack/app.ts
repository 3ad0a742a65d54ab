/**
 * Builds the Slack surface: a Bolt 5 App (Socket Mode by default, or the strict HTTP receiver),
 * its listeners (commands/, actions/), the approval store, the audit log and the expiry sweep.
 * Nothing is started here; main.ts calls `start()` and, on SIGTERM, `stop()`.
 */
import { App, SocketModeReceiver } from '@slack/bolt';
import type { WebClient, WebClientOptions } from '@slack/web-api';
import type { Redis } from 'ioredis';
import { registerCommands } from '../../commands/index.ts';
import { createAuditLog, type AuditLog } from '../audit/log.ts';
import type { Config } from '../config.ts';
import type { BotCore } from '../core/ports.ts';
import { ConfigError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { createApprovalStore, type ApprovalStore } from '../restore/approval.ts';
import { createCheckpoint, outcomeOf } from '../restore/checkpoint.ts';
import { registerActions } from './actions/index.ts';
import { boltLogger } from './bolt-logger.ts';
import { webClientOptions } from './client.ts';
import { createCardUpdater } from './card-updater.ts';
import type { SlackDeps } from './deps.ts';
import { errText } from './deps.ts';
import { startExpirySweeper } from './expiry.ts';
import { createThreadReporter, type ReporterOptions, type ThreadReporter } from './reporter.ts';
import { createRoles } from './roles.ts';
import { StrictHttpReceiver } from './strict-receiver.ts';

export interface SlackAppOptions {
  config: Config;
  core: BotCore;
  /** Shared ioredis connection (approval state). */
  redis: Redis;
  logger: Logger;
  /** Extra Web API client options; `slackApiUrl` defaults to SLACK_API_URL. */
  clientOptions?: WebClientOptions;
  /** HTTP mode: where to listen (default 0.0.0.0:SLACK_PORT; tests pass 127.0.0.1 and port 0). */
  listen?: { host?: string; port?: number };
  /** Redis key prefix of the approval state (default `crvs:restore`). */
  redisPrefix?: string;
  /** How often pending approvals are checked for expiry (default 5 s). */
  sweepIntervalMs?: number;
  audit?: AuditLog;
  now?: () => number;
}

/** The running surface; `app` is the Bolt App with every listener registered. */
export interface SlackSurface {
  app: App;
  client: WebClient;
  /** Slash commands with a listener (the manifest must list exactly these). */
  commands: string[];
  approvals: ApprovalStore;
  /** Connects (Socket Mode) or listens (HTTP), and starts the expiry sweep. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** HTTP mode: the port listened on, once started. */
  port(): number | undefined;
  /** A progress reporter on the thread of `ts` (what jobs use). */
  reporter(channel: string, ts: string, opts?: ReporterOptions): ThreadReporter;
}

export function createSlackApp(opts: SlackAppOptions): SlackSurface {
  const { config, logger } = opts;
  const slack = config.slack;
  if (!slack.botToken) throw new ConfigError('SLACK_BOT_TOKEN', 'is required to connect to Slack');
  const clientOptions: WebClientOptions = { ...webClientOptions(slack, logger), ...opts.clientOptions };
  const blogger = boltLogger(logger);
  let httpReceiver: StrictHttpReceiver | undefined;
  let app: App;
  if (slack.mode === 'http') {
    if (!slack.signingSecret) throw new ConfigError('SLACK_SIGNING_SECRET', 'is required when SLACK_MODE=http');
    httpReceiver = new StrictHttpReceiver({ signingSecret: slack.signingSecret, logger });
    app = new App({ token: slack.botToken, receiver: httpReceiver, logger: blogger, clientOptions });
  } else {
    if (!slack.appToken) throw new ConfigError('SLACK_APP_TOKEN', 'is required in Socket Mode (or set SLACK_MODE=http)');
    const receiver = new SocketModeReceiver({
      appToken: slack.appToken,
      logger: blogger,
      installerOptions: { clientOptions: { slackApiUrl: clientOptions.slackApiUrl } },
    });
    app = new App({ token: slack.botToken, receiver, socketMode: true, logger: blogger, clientOptions });
  }

  const now = opts.now ?? Date.now;
  const approvals = createApprovalStore({ redis: opts.redis, prefix: opts.redisPrefix, now });
  const deps: SlackDeps = {
    config,
    core: opts.core,
    roles: createRoles({ config: slack, client: app.client, logger }),
    approvals,
    audit: opts.audit ?? createAuditLog(config.backupRoot),
    cards: createCardUpdater({ client: app.client, approvals, logger, now, restoreOutcome: async (id) => outcomeOf(await createCheckpoint(opts.redis, id).meta()) }),
    client: app.client,
    logger,
    now,
  };
  const commands = registerCommands(app, deps);
  registerActions(app, deps);
  app.error(async (err) => {
    logger.error({ err: errText(err) }, 'unhandled Slack listener error');
  });

  let stopSweep: (() => Promise<void>) | undefined;
  return {
    app,
    client: app.client,
    commands,
    approvals,
    async start() {
      if (httpReceiver) await httpReceiver.start(opts.listen?.port ?? slack.port, opts.listen?.host);
      else await app.start();
      stopSweep = startExpirySweeper(deps, opts.sweepIntervalMs ?? 5000);
      logger.info({ mode: slack.mode, port: httpReceiver?.port() }, 'slack surface started');
    },
    async stop() {
      await stopSweep?.();
      stopSweep = undefined;
      if (httpReceiver) await httpReceiver.stop();
      else await app.stop();
    },
    port() {
      try {
        return httpReceiver?.port();
      } catch {
        return undefined;
      }
    },
    reporter(channel, ts, ropts) {
      return createThreadReporter(app.client, channel, ts, { logger, ...ropts });
    },
  };
}
