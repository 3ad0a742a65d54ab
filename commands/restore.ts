/**
 * /restore <date|label> | <moment>  (e.g. 2026-11-26T14:05: PostgreSQL to that moment, the rest from the set before it)
 * Acks at once; an operator's request is validated by the core, and only a valid, complete set
 * gets an approval card. Nothing is restored here: the approval actions enqueue the job.
 */
import type { App, RespondFn, SlashCommand } from '@slack/bolt';
import { approvalCard } from '../src/slack/blocks/approval-card.ts';
import { plain, refusal, restoreRefused } from '../src/slack/blocks/backup.ts';
import { plural } from '../src/slack/blocks/format.ts';
import type { SlackDeps } from '../src/slack/deps.ts';
import { errText } from '../src/slack/deps.ts';
import { afterPendingAcks, ephemeral, guarded } from '../src/slack/reply.ts';
import { looksLikeMoment, parseMoment, showMoment } from '../src/pitr/moment.ts';
import type { PitrPlan } from '../src/pitr/range.ts';
import type { ApprovalView } from '../src/restore/approval.ts';

export const name = '/restore';

const TARGET = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

async function handle(command: SlashCommand, respond: RespondFn, deps: SlackDeps): Promise<{ outcome: string; request?: string }> {
  const target = command.text.trim();
  const user = command.user_id;
  let moment: { at: Date; plan: PitrPlan } | undefined;
  if (looksLikeMoment(target)) {
    if (!(await deps.roles.has(user, 'operator'))) {
      await ephemeral(respond, refusal('Requesting a restore', 'operator'));
      return { outcome: 'refused: not an operator' };
    }
    try {
      const at = parseMoment(target, deps.config.timeZone);
      if (!deps.core.planRestoreToMoment) throw new Error('this bot cannot restore to a moment');
      moment = { at, plan: await deps.core.planRestoreToMoment(at) };
    } catch (err) {
      await ephemeral(respond, restoreRefused(target, [errText(err)], []));
      return { outcome: `refused: ${errText(err)}` };
    }
  }
  const setName = moment?.plan.nightly ?? target;
  if (!moment && !TARGET.test(target)) {
    await ephemeral(respond, plain('Usage: `/restore <date|label>`, e.g. `/restore 2026-11-26`, or `/restore 2026-11-26T14:05` to restore PostgreSQL to a moment. `/backup list` shows the sets.'));
    return { outcome: 'refused: bad input' };
  }
  if (!(await deps.roles.has(user, 'operator'))) {
    await ephemeral(respond, refusal('Requesting a restore', 'operator'));
    return { outcome: 'refused: not an operator' };
  }
  const v = await deps.core.validateForRestore(setName);
  if (!v.ok) {
    await ephemeral(respond, restoreRefused(target, v.problems, v.nearest));
    return { outcome: `refused: ${v.problems.join('; ')}` };
  }
  if (!v.set.manifestSha256) {
    await ephemeral(respond, restoreRefused(target, ['the set has no manifest checksum to bind an approval to'], []));
    return { outcome: 'refused: no manifest checksum' };
  }
  const { slack } = deps.config;
  const request = await deps.approvals.create({
    label: v.set.label,
    manifestSha256: v.set.manifestSha256,
    requestedBy: user,
    channel: command.channel_id,
    stores: v.comparison.map((c) => c.store),
    required: slack.approvalsRequired,
    allowSelf: slack.allowSelfApproval,
    expiryMs: slack.approvalExpiryMinutes * 60_000,
    view: {
      setCreatedAt: v.set.createdAt,
      location: v.set.location,
      bytes: v.set.bytes,
      comparison: v.comparison,
      untouched: v.untouched,
      notes: v.notes ?? [],
      stopsStack: deps.config.restore.redeploy && deps.config.restore.quiesce ? deps.config.restore.stack : undefined,
      ...(moment ? { pitr: momentView(moment.plan, deps.config.timeZone) } : {}),
    },
    ...(v.files ? { files: v.files } : {}),
  });
  const posted = await deps.client.chat.postMessage({ channel: command.channel_id, ...approvalCard(request, deps.now()) });
  if (!posted.ts) throw new Error('Slack did not return the message timestamp');
  await deps.approvals.setCard(request.id, command.channel_id, posted.ts);
  await ephemeral(
    respond,
    plain(`Approval requested for restoring \`${v.set.label}\`: it needs ${plural(slack.approvalsRequired, 'approver')} other than you within ${slack.approvalExpiryMinutes} min. You can cancel it on the card.`),
  );
  return { outcome: 'requested', request: request.id };
}

function momentView(plan: PitrPlan, timeZone: string): NonNullable<ApprovalView['pitr']> {
  return {
    at: plan.target,
    shown: showMoment(new Date(plan.target), timeZone),
    base: plan.base.label,
    baseConsistentAt: showMoment(new Date(plan.base.consistentAt), timeZone),
    walFrom: plan.base.startSegment,
    walTo: showMoment(new Date(plan.completeAt), timeZone),
    stream: plan.base.stream,
  };
}

export function register(app: App, deps: SlackDeps): void {
  app.command(name, async ({ command, ack, respond }) => {
    await ack();
    await afterPendingAcks();
    const action = `/restore ${command.text.trim()}`;
    await guarded(deps.logger, name, (text) => respond({ response_type: 'ephemeral', text }), async () => {
      try {
        const r = await handle(command, respond, deps);
        await deps.audit.append({ user: command.user_id, action, request: r.request, outcome: r.outcome });
      } catch (err) {
        await deps.audit.append({ user: command.user_id, action, outcome: 'error', detail: errText(err) });
        throw err;
      }
    });
  });
}
