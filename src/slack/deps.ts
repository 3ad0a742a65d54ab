/** What every Slack listener receives: built once in createSlackApp, never imported as globals. */
import type { WebClient } from '@slack/web-api';
import type { AuditLog } from '../audit/log.ts';
import type { Config } from '../config.ts';
import type { BotCore } from '../core/ports.ts';
import type { Logger } from '../log.ts';
import { redactText } from '../redact.ts';
import type { ApprovalStore } from '../restore/approval.ts';
import type { CardUpdater } from './card-updater.ts';
import type { Roles } from './roles.ts';

export interface SlackDeps {
  config: Config;
  core: BotCore;
  roles: Roles;
  approvals: ApprovalStore;
  audit: AuditLog;
  cards: CardUpdater;
  /** The app's Web API client (bot token). */
  client: WebClient;
  logger: Logger;
  now: () => number;
}

/** Turns anything thrown into a short string for logs and replies (never a stack, never a secret). */
export function errText(err: unknown): string {
  return redactText(err instanceof Error ? err.message : String(err));
}
