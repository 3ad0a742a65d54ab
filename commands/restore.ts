/**
 * /restore <date|label>
 * Acks at once; an operator's request is validated by the core, and only a valid, complete set
 * gets an approval card. Nothing is restored here: the approval actions enqueue the job.
 */
import type { App, RespondFn, SlashCommand } from '@slack/bolt';
import { approvalCard } from '../src/slack/blocks/approval-card.ts';
import { plain, refusal, restoreRefused } from '../src/slack/blocks/backup.ts';
import { plural } from '../src/slack/blocks/format.ts';
import type { SlackDeps } from '../src/slack/deps.ts';
import { errText } from '../src/slack/deps.ts';
import { ephemeral, guarded } from '../src/slack/reply.ts';

export const name = '/restore';

const TARGET = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

async function handle(command: SlashCommand, respond: RespondFn, deps: SlackDeps): Promise<{ outcome: string; request?: string }> {
  const target = command.text.trim();
  const user = command.user_id;
  if (!TARGET.test(target)) {
    await ephemeral(respond, plain('Usage: `/restore <date|label>`, e.g. `/restore 2026-11-26`. `/backup list` shows the sets.'));
    return { outcome: 'refused: bad input' };
  }
  if (!(await deps.roles.has(user, 'operator'))) {
    await ephemeral(respond, refusal('Requesting a restore', 'operator'));
    return { outcome: 'refused: not an operator' };
  }
  const v = await deps.core.validateForRestore(target);
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
    },
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

export function register(app: App, deps: SlackDeps): void {
  app.command(name, async ({ command, ack, respond }) => {
    await ack();
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
