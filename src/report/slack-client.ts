/** The Slack Web API client for reports outside the Bolt app (the CLI), when Slack is configured. */
import { WebClient } from '@slack/web-api';
import type { Config } from '../config.ts';
import type { SlackChat } from './poster.ts';

export function createReportClient(config: Config): SlackChat | undefined {
  const { botToken, apiUrl, channel } = config.slack;
  if (!botToken || !channel) return undefined;
  // Bounded: a report must not hold a finished backup hostage.
  return new WebClient(botToken, { slackApiUrl: apiUrl, timeout: 15_000, retryConfig: { retries: 3 } });
}
