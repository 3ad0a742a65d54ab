/**
 * Progress of one operation, reported in the thread of its root message: one progress message
 * that is edited at most every `minIntervalMs` (chat.update is Tier 3, ~50/min), then a final
 * summary in the thread and a new headline on the root message. Progress is best effort: a failed
 * Slack call is logged, never thrown into the job.
 */
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../log.ts';

export interface ThreadReporter {
  /** The latest line wins; intermediate lines inside one interval are dropped. */
  progress(text: string): void;
  /** Final summary in the thread; `headline` replaces the root message's text. */
  finish(result: { ok: boolean; summary: string; headline?: string }): Promise<void>;
}

export interface ReporterOptions {
  minIntervalMs?: number;
  logger?: Logger;
}

/** A reporter on the thread of the message `ts` in `channel`. */
export function createThreadReporter(client: WebClient, channel: string, ts: string, opts: ReporterOptions = {}): ThreadReporter {
  const minInterval = opts.minIntervalMs ?? 3000;
  const log = opts.logger?.child({ component: 'reporter', channel, ts });
  let progressTs: string | undefined;
  let latest: string | undefined;
  let sent: string | undefined;
  let lastSentAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let inflight: Promise<void> = Promise.resolve();
  let finished = false;

  async function send(): Promise<void> {
    const text = latest;
    if (text === undefined || text === sent) return;
    try {
      if (progressTs === undefined) {
        const res = await client.chat.postMessage({ channel, thread_ts: ts, text });
        progressTs = res.ts;
      } else {
        await client.chat.update({ channel, ts: progressTs, text });
      }
      sent = text;
    } catch (err) {
      log?.warn({ err: err instanceof Error ? err.message : String(err) }, 'progress update failed');
    }
    lastSentAt = Date.now();
  }

  /** One timer or one send at a time; the next is scheduled when it ends. */
  let busy = false;
  function schedule(): void {
    if (busy || finished) return;
    busy = true;
    const delay = Math.max(0, lastSentAt + minInterval - Date.now());
    timer = setTimeout(() => {
      timer = undefined;
      inflight = send().finally(() => {
        busy = false;
        if (latest !== sent) schedule();
      });
    }, delay);
    timer.unref();
  }

  return {
    progress(text) {
      latest = text;
      schedule();
    },
    async finish(result) {
      finished = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await inflight;
      busy = false;
      if (progressTs !== undefined) await send();
      const icon = result.ok ? ':white_check_mark:' : ':x:';
      try {
        await client.chat.postMessage({ channel, thread_ts: ts, text: `${icon} ${result.summary}` });
        if (result.headline) {
          const headline = `${icon} ${result.headline}`;
          // The root message has blocks, which Slack shows instead of text: replace them too.
          await client.chat.update({ channel, ts, text: headline, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: headline } }] });
        }
      } catch (err) {
        log?.warn({ err: err instanceof Error ? err.message : String(err) }, 'final report failed');
      }
    },
  };
}
