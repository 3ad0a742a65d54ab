/** Registers every slash command. manifest.yml must list exactly these (a test checks). */
import type { App } from '@slack/bolt';
import type { SlackDeps } from '../src/slack/deps.ts';
import * as backup from './backup.ts';
import * as restore from './restore.ts';

const COMMANDS = [backup, restore] as const;

/** Registers the listeners and returns the command names registered. */
export function registerCommands(app: App, deps: SlackDeps): string[] {
  for (const c of COMMANDS) c.register(app, deps);
  return COMMANDS.map((c) => c.name);
}
