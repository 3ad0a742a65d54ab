/**
 * Redraws approval cards. Clicks arrive concurrently; each redraw reads the LATEST state from
 * Redis, and redraws of one card are serialised and coalesced: a click during a redraw only marks
 * the card dirty, so 50 clicks cost a handful of chat.update calls (Tier 3) and the last one
 * written always shows the final state.
 */
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../log.ts';
import type { ApprovalRequest, ApprovalStore } from '../restore/approval.ts';
import type { RestoreOutcome } from '../restore/checkpoint.ts';
import { approvalCard, requesterNotice, restoreResultCard } from './blocks/approval-card.ts';

export interface CardUpdater {
  /** Resolves once the card shows a state at least as new as the one at call time. */
  refresh(id: string): Promise<void>;
  /** Tells the requester the outcome, privately in the card's channel. */
  notifyRequester(req: ApprovalRequest): Promise<void>;
}

export interface CardUpdaterOptions {
  client: WebClient;
  approvals: ApprovalStore;
  logger: Logger;
  now: () => number;
  /**
   * How an approved request's restore ended, if it has. A restore refused at once can end before
   * the approving click's redraw lands: the redraw must then show the end, not "queued".
   */
  restoreOutcome?: (id: string) => Promise<RestoreOutcome | undefined>;
}

export function createCardUpdater(opts: CardUpdaterOptions): CardUpdater {
  const log = opts.logger.child({ component: 'approval-card' });
  const running = new Map<string, { dirty: boolean; done: Promise<void> }>();

  async function draw(id: string): Promise<void> {
    const req = await opts.approvals.get(id);
    if (!req?.ts) return;
    try {
      // Unknown (Redis trouble) is drawn as approved: the restore job draws its end itself.
      const ended = req.status === 'approved' ? await opts.restoreOutcome?.(id).catch(() => undefined) : undefined;
      const card = ended
        ? restoreResultCard({ requestId: req.id, label: req.label, manifestSha256: req.manifestSha256, requestedBy: req.requestedBy, approvedBy: req.approvers, outcome: ended })
        : approvalCard(req, opts.now());
      await opts.client.chat.update({ channel: req.channel, ts: req.ts, ...card });
    } catch (err) {
      log.error({ id, err: err instanceof Error ? err.message : String(err) }, 'card update failed');
    }
  }

  return {
    refresh(id) {
      const current = running.get(id);
      if (current) {
        current.dirty = true;
        return current.done;
      }
      const entry = { dirty: true, done: Promise.resolve() };
      entry.done = (async () => {
        try {
          while (entry.dirty) {
            entry.dirty = false;
            await draw(id);
          }
        } finally {
          running.delete(id);
        }
      })();
      running.set(id, entry);
      return entry.done;
    },
    async notifyRequester(req) {
      try {
        await opts.client.chat.postEphemeral({ channel: req.channel, user: req.requestedBy, text: requesterNotice(req) });
      } catch (err) {
        log.warn({ id: req.id, err: err instanceof Error ? err.message : String(err) }, 'requester notice failed');
      }
    },
  };
}
