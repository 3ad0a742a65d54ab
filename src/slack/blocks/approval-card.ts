/**
 * The restore approval card (pure). Posted once, then redrawn with chat.update after every
 * change; its buttons disappear as soon as the request is decided, expired, cancelled or void.
 */
import type { ActionsBlock, Button, KnownBlock } from '@slack/types';
import type { ApprovalRequest } from '../../restore/approval.ts';
import type { RestoreOutcome } from '../../restore/checkpoint.ts';
import { stepTitle } from '../../restore/summary.ts';
import { formatAge, formatBytes, formatCount, mentions, plural, slackDate, whereSet } from './format.ts';

export const APPROVAL_ACTIONS = {
  approve: 'restore_approve',
  reject: 'restore_reject',
  cancel: 'restore_cancel',
} as const;

export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

function outcomeLine(req: ApprovalRequest): string {
  switch (req.status) {
    case 'pending': {
      const missing = req.required - req.approvers.length;
      return `*Approvals:* ${req.approvers.length} of ${req.required} (${mentions(req.approvers)}) — still needs ${plural(missing, 'more approval')} from an approver other than the requester. Expires ${slackDate(req.expiresAt)}.`;
    }
    case 'approved':
      return `:white_check_mark: *Approved* by ${mentions(req.approvers)}. Restore job \`${req.id}\` is queued; progress follows in this thread.`;
    case 'rejected':
      return `:no_entry: *Rejected* by <@${req.decidedBy ?? 'unknown'}>. Nothing was restored.`;
    case 'cancelled':
      return `:heavy_minus_sign: *Cancelled* by the requester. Nothing was restored.`;
    case 'expired':
      return `:hourglass: *Expired* with ${req.approvers.length} of ${req.required} approvals${req.approvers.length ? ` (${mentions(req.approvers)})` : ''}. Nothing was restored; request again if still needed.`;
    case 'void':
      return `:warning: *Void*: ${req.reason ?? 'the backup set changed after the request'}. Nothing was restored; request again to approve the set as it is now.`;
  }
}

function buttons(req: ApprovalRequest): ActionsBlock {
  const approve: Button = {
    type: 'button',
    action_id: APPROVAL_ACTIONS.approve,
    text: { type: 'plain_text', text: 'Approve restore' },
    style: 'danger',
    value: req.id,
    confirm: {
      title: { type: 'plain_text', text: 'Approve this restore?' },
      text: {
        type: 'mrkdwn',
        text: `All current data in ${storeList(req)} will be replaced by backup set \`${req.label}\`.${req.view.stopsStack ? ' OpenCRVS will be stopped during the restore.' : ''} This cannot be undone.`,
      },
      confirm: { type: 'plain_text', text: 'Approve' },
      deny: { type: 'plain_text', text: 'Back' },
      style: 'danger',
    },
  };
  const reject: Button = { type: 'button', action_id: APPROVAL_ACTIONS.reject, text: { type: 'plain_text', text: 'Reject' }, value: req.id };
  const cancel: Button = {
    type: 'button',
    action_id: APPROVAL_ACTIONS.cancel,
    text: { type: 'plain_text', text: 'Cancel (requester)' },
    value: req.id,
  };
  return { type: 'actions', block_id: `approval:${req.id}`, elements: [approve, reject, cancel] };
}

/** What the card says about OpenCRVS being stopped during the restore. */
function downtime(req: ApprovalRequest): string {
  const stack = req.view.stopsStack;
  if (!stack) return '';
  return `\n:octagonal_sign: *OpenCRVS will be stopped* from the first restore step: the application services of stack \`${stack}\` are scaled to 0 (data stores keep running) until it is redeployed after the restore; if the restore fails before the redeploy they are started again.`;
}

function storeList(req: ApprovalRequest): string {
  const names = req.view.comparison.map((c) => c.store);
  return names.length ? names.join(', ') : 'every store';
}

/** Stores the set has no backup of: said before approval, so nobody expects them restored. */
function untouchedBlock(req: ApprovalRequest): KnownBlock[] {
  const notes: KnownBlock[] = (req.view.notes ?? []).map((n) => ({ type: 'section', text: { type: 'mrkdwn', text: `:information_source: ${n}` } }));
  const untouched = req.view.untouched ?? [];
  if (untouched.length === 0) return notes;
  const names = untouched.map((s) => `*${s}*`).join(', ');
  return [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `:information_source: *Left as it is now:* ${names} — the set \`${req.label}\` holds no backup of ${untouched.length === 1 ? 'it' : 'them'} (made by an older OpenCRVS version, or without ${untouched.length === 1 ? 'that store' : 'those stores'}), so ${untouched.length === 1 ? 'it is' : 'they are'} neither deleted nor restored.`,
      },
    },
    ...notes,
  ];
}

/** A restore to a moment: what PostgreSQL is rebuilt from, and the set the other stores return to. */
function momentBlock(req: ApprovalRequest): KnownBlock[] {
  const p = req.view.pitr;
  if (!p) return [];
  return [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text:
          `:clock3: *Restore to a moment: ${p.shown}*\n` +
          `• *PostgreSQL* is rebuilt from the base backup of \`${p.base}\` (consistent from ${p.baseConsistentAt}) and the archived WAL from segment \`${p.walFrom}\` (stream \`${p.stream}\`, archived up to ${p.walTo}), replayed to the moment.\n` +
          `• *The other stores* return to the nightly set \`${req.label}\`, their own restore point (taken before the moment): what they recorded after it is not brought back.`,
      },
    },
  ];
}

/** The card for a request in any state; `now` gives the set's age. */
export function approvalCard(req: ApprovalRequest, now: number): SlackMessage {
  const setAt = Date.parse(req.view.setCreatedAt);
  const age = Number.isNaN(setAt) ? 'unknown age' : `made ${formatAge(now - setAt)} ago`;
  const rows = req.view.comparison.map(
    (c) => `• *${c.store}*: now ${formatCount(c.current)} → in set ${formatCount(c.inSet)}`,
  );
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `Restore request: ${req.label}` } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Requested by*\n<@${req.requestedBy}>` },
        { type: 'mrkdwn', text: `*Backup set*\n\`${req.label}\` (${age}, ${formatBytes(req.view.bytes)}, ${whereSet(req.view.location)})` },
      ],
    },
    { type: 'section', text: { type: 'mrkdwn', text: `*Records per store*\n${rows.join('\n') || 'none'}` } },
    ...untouchedBlock(req),
    ...momentBlock(req),
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `:rotating_light: *Current data will be replaced.* Restoring deletes what is in ${storeList(req)} now and puts back the set \`${req.label}\`; anything recorded since then is lost.${downtime(req)}`,
      },
    },
    { type: 'section', block_id: `status:${req.id}`, text: { type: 'mrkdwn', text: outcomeLine(req) } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `Request \`${req.id}\` · manifest sha256 \`${req.manifestSha256.slice(0, 12)}…\`` }] },
  ];
  if (req.status === 'pending') blocks.push(buttons(req));
  const text = `Restore request ${req.label} by <@${req.requestedBy}>: ${req.status === 'pending' ? `${req.approvers.length} of ${req.required} approvals` : req.status}`;
  return { text, blocks };
}

/** The one-line outcome the requester is told privately. */
export function requesterNotice(req: ApprovalRequest): string {
  switch (req.status) {
    case 'approved':
      return `Your restore of \`${req.label}\` was approved by ${mentions(req.approvers)} and is queued (job \`${req.id}\`).`;
    case 'rejected':
      return `Your restore of \`${req.label}\` was rejected by <@${req.decidedBy ?? 'unknown'}>.`;
    case 'cancelled':
      return `You cancelled the restore of \`${req.label}\`.`;
    case 'expired':
      return `Your restore of \`${req.label}\` expired with ${req.approvers.length} of ${req.required} approvals.`;
    case 'void':
      return `Your restore of \`${req.label}\` is void: ${req.reason ?? 'the set changed'}.`;
    case 'pending':
      return `Your restore of \`${req.label}\` has ${req.approvers.length} of ${req.required} approvals.`;
  }
}

/** What the card of a finished restore shows: the request (as approved) and how it ended. */
export interface RestoreResultInput {
  requestId: string;
  label: string;
  manifestSha256: string;
  requestedBy: string;
  approvedBy: string[];
  outcome: RestoreOutcome;
}

function resultLine(outcome: RestoreOutcome): { icon: string; headline: string } {
  if (outcome.kind === 'done') return { icon: ':white_check_mark:', headline: 'Restored — see thread' };
  const at = outcome.step ? ` at ${stepTitle(outcome.step)}` : '';
  if (outcome.kind === 'refused') return { icon: ':no_entry:', headline: `Restore refused${at}, nothing was touched — see thread` };
  return { icon: ':x:', headline: `Restore FAILED${at} — see thread` };
}

/**
 * The approval card once its restore has ended (done, failed or refused): the same header, so it
 * reads as the same card, without the pre-restore record counts (the thread has the counts now).
 */
export function restoreResultCard(input: RestoreResultInput): SlackMessage {
  const { icon, headline } = resultLine(input.outcome);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: `Restore request: ${input.label}` } },
    { type: 'section', block_id: `status:${input.requestId}`, text: { type: 'mrkdwn', text: `${icon} *${headline}*` } },
    { type: 'section', text: { type: 'mrkdwn', text: `Approved by ${mentions(input.approvedBy)} · requested by <@${input.requestedBy}>` } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `Backup set \`${input.label}\` · request \`${input.requestId}\` · manifest sha256 \`${input.manifestSha256.slice(0, 12)}…\`` }] },
  ];
  return { text: `Restore request ${input.label} by <@${input.requestedBy}>: ${headline}`, blocks };
}
