/**
 * What the restore job needs from a chat thread. Kept this small so the Slack thread reporter,
 * the CLI and tests can all provide it. Edits take an explicit ts because the ts is checkpointed:
 * a resumed job keeps editing the same message instead of posting a new one.
 */
import type { KnownBlock } from '@slack/types';

export interface ThreadPoster {
  /** Posts a new message in the thread; resolves with its ts (undefined when the surface has none). */
  post(text: string, blocks?: KnownBlock[]): Promise<string | undefined>;
  /** Replaces the content of a message posted earlier in the thread. */
  update(ts: string, text: string, blocks?: KnownBlock[]): Promise<void>;
}

/** The part of @slack/web-api's WebClient the thread needs (same shape as src/report/poster.ts). */
export interface SlackThreadClient {
  chat: {
    postMessage(args: { channel: string; text: string; blocks?: KnownBlock[]; thread_ts?: string; unfurl_links?: boolean }): Promise<{ ts?: string }>;
    update(args: { channel: string; ts: string; text: string; blocks?: KnownBlock[] }): Promise<unknown>;
  };
}

/** A ThreadPoster on the Slack thread `threadTs` of `channel`. */
export function slackThreadPoster(client: SlackThreadClient, channel: string, threadTs: string): ThreadPoster {
  return {
    async post(text, blocks) {
      const res = await client.chat.postMessage({ channel, thread_ts: threadTs, text, unfurl_links: false, ...(blocks ? { blocks } : {}) });
      return res.ts;
    },
    async update(ts, text, blocks) {
      await client.chat.update({ channel, ts, text, ...(blocks ? { blocks } : {}) });
    },
  };
}
