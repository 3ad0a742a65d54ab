/**
 * The status message of one restore: a single thread message listing every step, edited as the
 * job moves on (its ts is checkpointed, so a resumed job keeps editing the same message).
 * Posting never fails the restore: Slack trouble is logged and the next edit tries again.
 */
import type { KnownBlock } from '@slack/types';
import type { Logger } from '../log.ts';
import type { RestoreCheckpoint, StepName } from './checkpoint.ts';
import { statusMessage, type Message } from './summary.ts';
import type { ThreadPoster } from './thread-poster.ts';

export interface StatusBoard {
  /** Redraws the status message from the checkpoints; `note` is a line under the steps. */
  refresh(note?: string): Promise<void>;
  /** Like refresh, but at most once per `throttleMs` (for frequent progress events). */
  refreshSoon(note: string): void;
  /** Posts a separate message in the thread (events worth a notification). */
  post(msg: Message | string): Promise<void>;
}

export function createStatusBoard(input: {
  label: string;
  /** The steps to list (a getter: the stores are known only after verification). */
  steps: () => StepName[];
  checkpoint: RestoreCheckpoint;
  poster: ThreadPoster;
  logger: Logger;
  throttleMs: number;
}): StatusBoard {
  const { checkpoint, poster, logger } = input;
  let last = 0;
  let chain: Promise<void> = Promise.resolve();

  async function draw(note?: string): Promise<void> {
    const all = await checkpoint.steps();
    const steps = input.steps().map((name) => ({ name, record: all.get(name) ?? { state: 'pending' as const, durationMs: 0, attempts: 0 } }));
    const msg = statusMessage({ label: input.label, steps, note });
    const meta = await checkpoint.meta();
    if (meta.statusTs) await poster.update(meta.statusTs, msg.text, msg.blocks);
    else {
      const ts = await poster.post(msg.text, msg.blocks);
      if (ts) await checkpoint.setMeta({ statusTs: ts });
    }
  }

  function queue(note?: string): Promise<void> {
    // Serialised so that edits arrive in order and the first post happens once.
    chain = chain.then(() => draw(note)).catch((err: unknown) => {
      logger.warn({ err: (err as Error).message }, 'restore status message not updated');
    });
    return chain;
  }

  return {
    refresh(note) {
      last = Date.now();
      return queue(note);
    },
    refreshSoon(note) {
      if (Date.now() - last < input.throttleMs) return;
      last = Date.now();
      void queue(note);
    },
    async post(msg) {
      const text = typeof msg === 'string' ? msg : msg.text;
      const blocks: KnownBlock[] | undefined = typeof msg === 'string' ? undefined : msg.blocks;
      try {
        await poster.post(text, blocks);
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'restore thread message not posted');
      }
    },
  };
}
