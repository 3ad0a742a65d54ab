/** Private replies: the one place a listener's error becomes text for a Slack user. */
import type { RespondFn } from '@slack/bolt';
import { userMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { SlackMessage } from './blocks/approval-card.ts';

/** An ephemeral reply through the command's response_url (works in channels the bot is not in). */
export async function ephemeral(respond: RespondFn, message: SlackMessage): Promise<void> {
  await respond({ response_type: 'ephemeral', replace_original: false, text: message.text, blocks: message.blocks });
}

/**
 * Resolves on the next turn of the event loop, once the requests already received have been read.
 * Awaited right after ack(): commands that arrive together are all acked before any of them starts
 * its follow-up work, instead of the last ack waiting behind the others' reads and replies. The
 * work itself is not skipped or delayed beyond that turn.
 */
export function afterPendingAcks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Runs a listener body after ack; anything thrown is logged and told to the user, never a stack. */
export async function guarded(logger: Logger, what: string, tell: (text: string) => Promise<unknown>, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    logger.error({ what, err: err instanceof Error ? err.message : String(err) }, 'slack listener failed');
    try {
      await tell(`:x: ${userMessage(err)}`);
    } catch (tellErr) {
      logger.error({ what, err: tellErr instanceof Error ? tellErr.message : String(tellErr) }, 'could not tell the user');
    }
  }
}
