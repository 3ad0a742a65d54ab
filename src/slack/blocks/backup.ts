/** Replies of /backup and the /restore refusal (pure). */
import type { HistoryEntry, SetSummary, StatusInfo } from '../../core/ports.ts';
import type { SlackMessage } from './approval-card.ts';
import { formatAge, formatBytes, slackDate, whereSet } from './format.ts';

/** A time from the core (ISO) as a Slack date token, so each reader sees it in their own zone. */
function when(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? 'at an unknown time' : slackDate(ms);
}

function textMessage(text: string): SlackMessage {
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

export function backupHelp(): SlackMessage {
  return textMessage(
    [
      '*/backup* — back up every store now (label defaults to today\'s date)',
      '*/backup* `<label>` — back up with that label (letters, digits, `.`, `_`, `-`; up to 64)',
      '*/backup status* — running jobs, the lock, the last complete set, the next scheduled run',
      '*/backup list* — backup sets here and on the backup server',
      '*/backup history* — the last runs and their outcome',
      '*/backup drill* `[label]` — restore drill: restore a set into scratch copies beside the live data, compare, remove (live data untouched)',
      '*/restore* `<date|label>` — ask to restore a set; needs approval by two approvers',
    ].join('\n'),
  );
}

/**
 * The root message of a /backup request. In the report channel (or with none configured) the
 * report replaces it when the run starts and ends; elsewhere it points to the report channel.
 */
export function backupQueuedRoot(label: string, user: string, where: { channel: string; reportChannel: string | undefined }): SlackMessage {
  const elsewhere = where.reportChannel !== undefined && where.reportChannel !== where.channel;
  const next = elsewhere
    ? `The report goes to <#${where.reportChannel}>; the outcome follows in this thread.`
    : 'This message shows its progress and becomes the report; details follow in the thread.';
  return textMessage(`:floppy_disk: Backup \`${label}\` queued by <@${user}>. ${next}`);
}

export function backupEnqueueFailed(label: string, reason: string): SlackMessage {
  return textMessage(`:x: Backup \`${label}\` could not be queued: ${reason}`);
}

export function statusMessage(s: StatusInfo, now: number): SlackMessage {
  const lines: string[] = [];
  if (s.running.length === 0) lines.push('Nothing running.');
  for (const r of s.running) lines.push(`:arrows_counterclockwise: ${r.kind} \`${r.label}\` running for ${formatAge(now - Date.parse(r.startedAt))} (job \`${r.id}\`)`);
  if (s.lock) lines.push(`:lock: Lock held by \`${s.lock.holder}\` since ${when(s.lock.since)}`);
  lines.push(s.lastComplete ? `Last complete set: \`${s.lastComplete.label}\`, ${formatAge(now - Date.parse(s.lastComplete.createdAt))} ago` : ':warning: No complete backup set yet.');
  if (s.nextRun) lines.push(`Next scheduled run: ${when(s.nextRun)}`);
  return textMessage(lines.join('\n'));
}

export function listMessage(sets: SetSummary[]): SlackMessage {
  if (sets.length === 0) return textMessage('No backup sets yet.');
  const lines = sets.map((s) => {
    const state = s.complete ? ':white_check_mark:' : `:x: partial (failed: ${s.failedStores.join(', ')})`;
    return `${state} \`${s.label}\` ${when(s.createdAt)} · ${formatBytes(s.bytes)} · ${whereSet(s.location)}`;
  });
  return textMessage(`*Backup sets*\n${lines.join('\n')}`);
}

export function historyMessage(entries: HistoryEntry[]): SlackMessage {
  if (entries.length === 0) return textMessage('No runs yet.');
  const icon: Record<HistoryEntry['outcome'], string> = {
    ok: ':white_check_mark:',
    partial: ':x: partial',
    failed: ':x: failed',
    running: ':arrows_counterclockwise:',
  };
  const lines = entries.map((e) => `${icon[e.outcome]} ${e.kind} \`${e.label}\` ${when(e.startedAt)} — ${e.summary}`);
  return textMessage(`*Recent runs*\n${lines.join('\n')}`);
}

export function restoreRefused(target: string, problems: string[], nearest: string[]): SlackMessage {
  const lines = [`:no_entry: Cannot restore \`${target}\`:`, ...problems.map((p) => `• ${p}`)];
  // The problem may already name the nearest sets (verify-set does): say it once.
  const unsaid = nearest.filter((n) => !problems.some((p) => p.includes(n)));
  if (unsaid.length) lines.push(`Nearest sets: ${nearest.map((n) => `\`${n}\``).join(', ')}`);
  lines.push('Nothing was changed.');
  return textMessage(lines.join('\n'));
}

export function refusal(what: string, role: string): SlackMessage {
  return textMessage(`:no_entry: ${what} is limited to ${role}s. Ask an admin to add you to the ${role} list or group.`);
}

export function plain(text: string): SlackMessage {
  return textMessage(text);
}
