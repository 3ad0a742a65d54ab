/**
 * A Web API client for processes that report to Slack without receiving from it (job workers):
 * same token, API URL and retry policy as the app's own client.
 */
import { WebClient, type WebClientOptions } from '@slack/web-api';
import type { SlackConfig } from '../config.ts';
import { ConfigError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { boltLogger } from './bolt-logger.ts';

/** Base options shared with the Bolt app: API URL (with its trailing slash) and bounded retries. */
export function webClientOptions(slack: SlackConfig, logger: Logger): WebClientOptions {
  const url = slack.apiUrl && !slack.apiUrl.endsWith('/') ? `${slack.apiUrl}/` : slack.apiUrl;
  return {
    slackApiUrl: url,
    logger: boltLogger(logger),
    // Five retries within about five minutes (429s wait Retry-After): enough for a Slack blip,
    // short enough that a listener does not hang for half an hour (the client's default).
    retryConfig: { retries: 5, factor: 3.86 },
  };
}

export function createSlackClient(slack: SlackConfig, logger: Logger): WebClient {
  if (!slack.botToken) throw new ConfigError('SLACK_BOT_TOKEN', 'is required to report to Slack');
  return new WebClient(slack.botToken, webClientOptions(slack, logger));
}
