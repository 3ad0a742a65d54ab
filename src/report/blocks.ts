/**
 * The daily report as Block Kit: pure functions of a PipelineResult. One root message per run
 * (a line per store, offsite, disk, next run, failures with the on-call mention); the details go
 * in its thread.
 */
import type { KnownBlock } from '@slack/types';
import type { PipelineResult, StoreLine } from '../pipeline/types.ts';
import { pitrText } from '../pitr/status.ts';
import { formatBytesShort, formatChange, formatCount, formatDuration, oncallMention, slackDate } from './format.ts';

export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

export interface ReportOptions {
  /** SLACK_ONCALL_GROUP: a user group id, mentioned on any failure. */
  oncallGroup: string | undefined;
  timeZone: string;
  /** Lines that say what the set deliberately leaves out (ES_BACKUP=none). */
  notes?: string[];
}

/** What a deployment's configuration leaves out of every set on purpose, said in the report and on the card. */
export function configNotes(config: { elasticsearch: { backup: 'snapshot' | 'none' } }): string[] {
  if (config.elasticsearch.backup === 'snapshot') return [];
  return ['Elasticsearch is not backed up (ES_BACKUP=none): after a restore, OpenCRVS rebuilds its indices from PostgreSQL with the reindex.'];
}

/** Escapes what Slack would read as markup in text we did not write (error messages). */
export function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const HEADLINE: Record<PipelineResult['outcome'], string> = {
  ok: ':white_check_mark: Backup complete',
  partial: ':x: Backup PARTIAL — failed',
  failed: ':x: Backup FAILED',
  skipped: ':x: Backup SKIPPED',
};

function title(r: PipelineResult): string {
  const what = r.trigger === 'schedule' ? 'Nightly backup' : `Backup requested by ${r.requestedBy === 'cli' ? 'the CLI' : `<@${r.requestedBy}>`}`;
  return `${HEADLINE[r.outcome]}: ${what}${r.label ? ` \`${r.label}\`` : ''}`;
}

/**
 * A store's size as the reports show it: its bytes, or for Elasticsearch (whose snapshots share
 * the repository) what the snapshot added and the repository's total, e.g.
 * "added 3.2 MB in 12 files, repository 45 MB".
 */
export function storeSizeText(s: StoreLine): string {
  if (!s.snapshot) return formatBytesShort(s.bytes);
  const { addedBytes, addedFiles, repositoryBytes } = s.snapshot;
  const added = addedFiles === 0 ? 'added nothing new' : `added ${formatBytesShort(addedBytes)} in ${formatCount(addedFiles)} file${addedFiles === 1 ? '' : 's'}`;
  return repositoryBytes === undefined ? added : `${added}, repository ${formatBytesShort(repositoryBytes)}`;
}

/** One store's line, e.g. "✓ *mongo* 12 MB (−3 % vs 2026-11-25) · 1,234 records · 4.0 s". */
export function storeLineText(s: StoreLine): string {
  if (!s.ok) return `✗ *${s.store}* failed after ${formatDuration(s.durationMs)}: ${escapeText(s.error ?? 'no reason recorded')}`;
  const change = s.changePercent === undefined ? '' : ` (${formatChange(s.changePercent)} vs ${s.previousLabel ?? 'previous'})`;
  const warn = s.shrank ? ' :warning: *shrank*' : '';
  return `✓ *${s.store}* ${storeSizeText(s)}${change}${warn} · ${formatCount(s.records)} records · ${formatDuration(s.durationMs)}`;
}

export function offsiteText(r: PipelineResult): string {
  const o = r.offsite;
  switch (o.status) {
    case 'ok':
      return `✓ *offsite* ${o.bytes === undefined ? '' : `${formatBytesShort(o.bytes)} `}copied to the backup server; ${o.remoteChecksumsOk ? 'remote checksums match' : escapeText(o.detail)}`;
    case 'failed':
      return `✗ *offsite* ${escapeText(o.detail)}`;
    case 'skipped':
      return `– *offsite* not copied: ${escapeText(o.detail || 'the backup did not run')}`;
    case 'not-configured':
      return '– *offsite* not configured (BACKUP_SERVER_HOST is not set)';
  }
}

export function diskText(r: PipelineResult): string {
  const { local, remote, warnPercent } = r.disk;
  const one = (name: string, d: PipelineResult['disk']['local']): string => {
    if (!d) return `${name} unknown`;
    const low = d.freePercent < warnPercent ? ' :warning: *low*' : '';
    return `${name} ${d.freePercent.toFixed(0)} % free (${formatBytesShort(d.freeBytes)} of ${formatBytesShort(d.totalBytes)})${low}`;
  };
  const parts = [one('local', local)];
  if (r.offsite.status !== 'not-configured') parts.push(one('backup server', remote));
  return `*Disk:* ${parts.join(' · ')}`;
}

function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } };
}

/** The root message of a finished run. */
export function buildDailyReport(r: PipelineResult, opts: ReportOptions): SlackMessage {
  const failed = r.outcome !== 'ok';
  const alert = r.problems.length > 0;
  const mention = alert ? oncallMention(opts.oncallGroup) : '';
  const blocks: KnownBlock[] = [section(`${title(r)}${mention ? ` ${mention}` : ''}`)];
  if (r.stores.length > 0) blocks.push(section(r.stores.map(storeLineText).join('\n')));
  for (const note of opts.notes ?? []) blocks.push(section(`:information_source: ${note}`));
  blocks.push(section(offsiteText(r)));
  blocks.push(section(diskText(r)));
  if (r.pitr) blocks.push(section(pitrText(r.pitr, formatBytesShort)));
  if (alert) {
    const shown = r.problems.slice(0, 5).map((p) => `• ${escapeText(p)}`);
    if (r.problems.length > 5) shown.push(`• … and ${r.problems.length - 5} more in the thread`);
    blocks.push(section(`*${failed ? 'Why it failed' : 'Needs attention'}:*\n${shown.join('\n')}`));
  }
  if (r.warnings.length > 0) blocks.push(section(r.warnings.slice(0, 5).map((w) => `:warning: ${escapeText(w)}`).join('\n')));
  const next = r.nextRun ? `Next run: ${slackDate(r.nextRun, opts.timeZone)}` : 'Next run: not scheduled';
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${next} · run \`${r.runId}\` · details in the thread` }] });
  const plain = title(r).replace(/:[a-z_]+: /, '');
  const text = `${mention ? `${mention} ` : ''}${plain}${alert ? ` — ${r.problems[0] ?? ''}` : ''}`.slice(0, 3000);
  return { text, blocks };
}

/** The root message while the run is in progress (replaced by the report when it ends). */
export function buildRunningMessage(info: { runId: string; label: string | undefined; trigger: 'schedule' | 'manual'; requestedBy: string }): SlackMessage {
  const who = info.trigger === 'schedule' ? 'Nightly backup' : `Backup requested by ${info.requestedBy === 'cli' ? 'the CLI' : `<@${info.requestedBy}>`}`;
  const text = `:hourglass_flowing_sand: ${who}${info.label ? ` \`${info.label}\`` : ''} is running…`;
  return { text, blocks: [section(text), { type: 'context', elements: [{ type: 'mrkdwn', text: `run \`${info.runId}\`` }] }] };
}

/**
 * What a request made outside the report channel shows once the run ended: the outcome in one
 * line and where the report is (its details are there, not here).
 */
export function buildReportPointer(r: PipelineResult, reportChannel: string | undefined): SlackMessage {
  const where = reportChannel ? `report in <#${reportChannel}>` : 'the report could not be posted; see `/backup history`';
  const text = `${title(r)} — ${where}`.slice(0, 3000);
  return { text, blocks: [section(text)] };
}

/** The thread replies: every finding in full, then the per-step details. Plain mrkdwn texts. */
export function buildReportThread(r: PipelineResult): string[] {
  const out: string[] = [];
  if (r.problems.length > 0) out.push(`*Problems (${r.problems.length}):*\n${r.problems.map((p) => `• ${escapeText(p)}`).join('\n')}`);
  if (r.warnings.length > 0) out.push(`*Warnings:*\n${r.warnings.map((w) => `• ${escapeText(w)}`).join('\n')}`);
  const lines = [
    `*Run* \`${r.runId}\` (${r.trigger}, by ${r.requestedBy}) from ${r.startedAt} to ${r.finishedAt}`,
    r.manifestSha256 ? `*Manifest* sha256 \`${r.manifestSha256}\`` : '*Manifest* none written',
    `*Verification:* ${r.verify.status}${r.verify.problems.length > 0 ? ` (${r.verify.problems.length} problems)` : ''}`,
    `*Offsite:* ${r.offsite.status}${r.offsite.detail ? ` — ${escapeText(r.offsite.detail)}` : ''}`,
    `*Remote retention:* ${r.retention.remote.status}${r.retention.remote.removed.length > 0 ? `, removed ${r.retention.remote.removed.join(', ')}` : ''}${r.retention.remote.detail ? ` — ${escapeText(r.retention.remote.detail)}` : ''}`,
    `*Local retention:* ${r.retention.local.removed.length > 0 ? `removed ${r.retention.local.removed.join('; ')}` : 'nothing to remove'}`,
  ];
  out.push(lines.join('\n'));
  return out;
}
