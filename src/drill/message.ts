/** The restore drill's Slack message: one line, the on-call group paged on failure, the trend chart below. */
import { oncallMention } from '../report/format.ts';
import { drillSummary, formatMinutes } from './run-drill.ts';
import type { DrillResult } from './types.ts';

/** `Restore drill ✓ 11 min (mongo 6 min, minio 2 min)`, or what failed and where. */
export function drillLine(r: DrillResult): string {
  const set = r.label ? ` of ${r.label}` : '';
  if (r.outcome === 'ok') return `Restore drill${set} ✓ ${formatMinutes(r.durationMs)} (${r.stores.map((s) => `${s.store} ${formatMinutes(s.durationMs)}`).join(', ')})`;
  if (r.outcome === 'skipped') return `Restore drill${set} not run: ${(r.reason ?? 'skipped').replace(/^Restore drill (not started|skipped): /, '')}`;
  const failed = r.stores.find((s) => !s.ok);
  if (failed) return `Restore drill${set} ✗ FAILED — ${failed.store}: ${failed.difference ?? 'failed'}`;
  return `Restore drill${set} ✗ FAILED — ${r.reason ?? drillSummary(r)}`;
}

/** The message text (mrkdwn): a failure or a refusal mentions on-call, like a failed backup. */
export function drillMessage(r: DrillResult, trend: string[], oncallGroup: string | undefined): string {
  const alert = r.outcome !== 'ok';
  const mention = alert ? oncallMention(oncallGroup) : '';
  const head = `${alert ? ':rotating_light: ' : ':white_check_mark: '}${mention ? `${mention} ` : ''}${drillLine(r)}`;
  const chart = trend.length > 0 ? `\nLast 14 nights:\n\`\`\`\n${trend.join('\n')}\n\`\`\`` : '';
  return `${head}${chart}`;
}
