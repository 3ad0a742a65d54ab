/**
 * What the restore job needs from a chat thread. Kept this small so the Slack thread reporter,
 * the CLI and tests can all provide it. Edits take an explicit ts because the ts is checkpointed:
 * a resumed job keeps editing the same message instead of posting a new one.
 */
import type { KnownBlock } from '@slack/types';
import { TimeoutError } from '../errors.ts';

export interface ThreadPoster {
  /** Posts a new message in the thread; resolves with its ts (undefined when the surface has none). */
  post(text: string, blocks?: KnownBlock[]): Promise<string | undefined>;
  /** Replaces the content of a message posted earlier in the thread. */
  update(ts: string, text: string, blocks?: KnownBlock[]): Promise<void>;
  /** Replaces the thread's root message (the approval card) with the restore's final state. */
  root(text: string, blocks: KnownBlock[]): Promise<void>;
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
    async root(text, blocks) {
      await client.chat.update({ channel, ts: threadTs, text, blocks });
    },
  };
}

function within<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * The same poster with every call bounded: the Slack client retries for up to half an hour and a
 * request may hang, while the restore job holds the shared lock. A late call fails (the status
 * board and the migration watch log it and go on); the message may still land later.
 */
export function boundedPoster(poster: ThreadPoster, timeoutMs: number): ThreadPoster {
  return {
    post: (text, blocks) => within('posting to the restore thread', timeoutMs, poster.post(text, blocks)),
    update: (ts, text, blocks) => within('editing a message of the restore thread', timeoutMs, poster.update(ts, text, blocks)),
    root: (text, blocks) => within('editing the approval card', timeoutMs, poster.root(text, blocks)),
  };
}
