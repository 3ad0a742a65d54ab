/** Registers every interactive action (button) listener. */
import type { App } from '@slack/bolt';
import type { SlackDeps } from '../deps.ts';
import * as approval from './approval.ts';

export function registerActions(app: App, deps: SlackDeps): void {
  approval.register(app, deps);
}
