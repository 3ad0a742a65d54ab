/**
 * The approval card's buttons. Each click: ack, authorize, one atomic transition in Redis, redraw
 * the card, tell the clicker (and, on an outcome, the requester), append to the audit log.
 * Only the click that moves the request to `approved` enqueues the restore (job id = request id).
 */
import type { App } from '@slack/bolt';
import { z } from 'zod';
import type { RestoreValidation, SetUnchanged } from '../../core/ports.ts';
import type { ApprovalRequest } from '../../restore/approval.ts';
import { APPROVAL_ACTIONS } from '../blocks/approval-card.ts';
import { plural } from '../blocks/format.ts';
import type { SlackDeps } from '../deps.ts';
import { errText } from '../deps.ts';
import { guarded } from '../reply.ts';

const clickSchema = z.object({
  user: z.object({ id: z.string() }),
  channel: z.object({ id: z.string() }).optional(),
  actions: z.array(z.object({ value: z.string().optional() })).min(1),
});

interface Click {
  user: string;
  channel: string | undefined;
  id: string;
}

function parseClick(body: unknown): Click | undefined {
  const r = clickSchema.safeParse(body);
  const value = r.success ? r.data.actions[0]?.value : undefined;
  if (!r.success || !value) return undefined;
  return { user: r.data.user.id, channel: r.data.channel?.id, id: value };
}

/** Concurrent clicks on one request share one check of the set. */
function singleFlight<T>(): (key: string, run: () => Promise<T>) => Promise<T> {
  const inflight = new Map<string, Promise<T>>();
  return (key, run) => {
    const existing = inflight.get(key);
    if (existing) return existing;
    const p = run().finally(() => inflight.delete(key));
    inflight.set(key, p);
    return p;
  };
}

/** What a click found: the manifest's sha256 now ('' when the set is no longer valid) and, when void, why. */
interface SetCheck {
  sha: string;
  reason: string;
}

function manifestReason(req: ApprovalRequest, sha: string): string {
  return `the backup set's manifest changed after the request (sha256 ${req.manifestSha256.slice(0, 12)}… → ${sha.slice(0, 12) || 'none'}…)`;
}

/** A request made before file identities were recorded: the set is verified in full again. */
function fromValidation(req: ApprovalRequest, v: RestoreValidation): SetCheck {
  if (!v.ok) return { sha: '', reason: `the backup set is no longer valid (${v.problems.join('; ')})` };
  const sha = v.set.manifestSha256 ?? '';
  return { sha, reason: sha === req.manifestSha256 ? '' : manifestReason(req, sha) };
}

/** The click bound to the manifest and to each file's size and mtime as the request's verification read them. */
function fromIdentities(req: ApprovalRequest, u: SetUnchanged): SetCheck {
  if (!u.ok) return { sha: '', reason: `the backup set is no longer valid (${u.problems.join('; ')})` };
  if (u.manifestSha256 !== req.manifestSha256) return { sha: u.manifestSha256, reason: manifestReason(req, u.manifestSha256) };
  if (u.changes.length === 0) return { sha: u.manifestSha256, reason: '' };
  const shown = u.changes.slice(0, 5).join('; ') + (u.changes.length > 5 ? `; and ${u.changes.length - 5} more` : '');
  // '' voids the request in the same atomic transition as a changed manifest.
  return { sha: '', reason: `the backup set's files changed after the request was verified (${shown})` };
}

export function register(app: App, deps: SlackDeps): void {
  const revalidate = singleFlight<SetCheck>();

  /** Cheap when the request recorded its files (no read); a full verification for an older request. */
  function checkSet(req: ApprovalRequest): Promise<SetCheck> {
    const { files } = req;
    const confirm = deps.core.confirmUnchanged?.bind(deps.core);
    if (files && confirm) return confirm(req.label, files).then((u) => fromIdentities(req, u));
    return deps.core.validateForRestore(req.label).then((v) => fromValidation(req, v));
  }

  async function tell(click: Click, channel: string, text: string): Promise<void> {
    await deps.client.chat.postEphemeral({ channel, user: click.user, text });
  }

  async function finished(id: string): Promise<void> {
    await deps.cards.refresh(id);
    const req = await deps.approvals.get(id);
    if (req) await deps.cards.notifyRequester(req);
  }

  async function enqueue(req: ApprovalRequest, approvers: string[]): Promise<string> {
    if (!req.ts) throw new Error('the approval card has no timestamp');
    try {
      const { jobId, created } = await deps.core.enqueueRestore({
        requestId: req.id,
        label: req.label,
        manifestSha256: req.manifestSha256,
        requestedBy: req.requestedBy,
        approvedBy: approvers,
        stores: req.stores,
        report: { channel: req.channel, threadTs: req.ts },
        ...(req.view.pitr ? { at: req.view.pitr.at } : {}),
      });
      return created ? `approved: restore queued ${jobId}` : `approved: restore ${jobId} already queued`;
    } catch (err) {
      // The card must not go on saying "queued; progress follows": the request turns void, with why.
      await deps.approvals.notQueued(req.id, `approved, but the restore could not be queued (${errText(err)})`);
      await deps.client.chat.postMessage({ channel: req.channel, thread_ts: req.ts, text: `:x: The restore was approved but could not be queued: ${errText(err)}. Nothing was restored; request it again.` });
      return `approved: enqueue failed: ${errText(err)}`;
    }
  }

  async function approve(click: Click, req: ApprovalRequest): Promise<string> {
    if (!(await deps.roles.has(click.user, 'approver'))) {
      await tell(click, req.channel, ':no_entry: Only approvers can approve a restore.');
      return 'refused: not an approver';
    }
    const { sha, reason } = await revalidate(req.id, () => checkSet(req));
    const r = await deps.approvals.approve(req.id, click.user, sha, reason);
    switch (r.kind) {
      case 'approved': {
        const outcome = await enqueue(req, r.approvers);
        await finished(req.id);
        return outcome;
      }
      case 'recorded': {
        await deps.cards.refresh(req.id);
        await tell(click, req.channel, `Your approval is recorded; ${plural(req.required - r.approvers.length, 'more approval')} needed.`);
        return `recorded (${r.approvers.length} of ${req.required})`;
      }
      case 'duplicate':
        await tell(click, req.channel, 'You have already approved this request; a second approver is needed.');
        return 'refused: already approved by this user';
      case 'self':
        await tell(click, req.channel, ':no_entry: Your own approval does not count: another approver must approve your request.');
        return 'refused: self-approval';
      case 'void':
      case 'expired':
        await finished(req.id);
        await tell(click, req.channel, `This request is ${r.kind}; nothing was restored.`);
        return r.kind;
      case 'closed':
        await deps.cards.refresh(req.id);
        await tell(click, req.channel, `This request is already ${r.status}.`);
        return `refused: already ${r.status}`;
      case 'missing':
        return 'refused: unknown request';
    }
  }

  async function reject(click: Click, req: ApprovalRequest): Promise<string> {
    if (!(await deps.roles.has(click.user, 'approver'))) {
      await tell(click, req.channel, ':no_entry: Only approvers can reject a restore.');
      return 'refused: not an approver';
    }
    const r = await deps.approvals.reject(req.id, click.user);
    if (r.kind === 'rejected' || r.kind === 'expired') await finished(req.id);
    else await tell(click, req.channel, `This request is already ${r.kind === 'closed' ? r.status : r.kind}.`);
    return r.kind === 'closed' ? `refused: already ${r.status}` : r.kind;
  }

  async function cancel(click: Click, req: ApprovalRequest): Promise<string> {
    const r = await deps.approvals.cancel(req.id, click.user);
    if (r.kind === 'cancelled' || r.kind === 'expired') await finished(req.id);
    else if (r.kind === 'not_requester') await tell(click, req.channel, ':no_entry: Only the requester can cancel; approvers can reject.');
    else await tell(click, req.channel, `This request is already ${r.kind === 'closed' ? r.status : r.kind}.`);
    return r.kind === 'closed' ? `refused: already ${r.status}` : r.kind;
  }

  const handlers = { approve, reject, cancel } as const;
  for (const kind of ['approve', 'reject', 'cancel'] as const) {
    app.action(APPROVAL_ACTIONS[kind], async ({ ack, body }) => {
      await ack();
      const click = parseClick(body);
      if (!click) {
        deps.logger.warn({ kind }, 'malformed approval click');
        return;
      }
      const channel = click.channel;
      const say = async (text: string): Promise<void> => {
        if (channel) await deps.client.chat.postEphemeral({ channel, user: click.user, text });
      };
      await guarded(deps.logger, kind, say, async () => {
        const req = await deps.approvals.get(click.id);
        let outcome: string;
        if (!req) {
          await say('This restore request is unknown or too old.');
          outcome = 'refused: unknown request';
        } else {
          outcome = await handlers[kind](click, req);
        }
        await deps.audit.append({ user: click.user, action: kind, request: click.id, outcome, detail: req ? `label ${req.label}, sha256 ${req.manifestSha256}` : undefined });
      });
    });
  }
}
