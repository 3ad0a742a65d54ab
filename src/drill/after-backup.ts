/**
 * What follows a backup run in the backup job: its figures go to InfluxDB, the restore drill runs
 * when it is due (DRILL_SCHEDULE, after a scheduled backup that succeeded), and the drill's line
 * with the 14-night trend is posted to the report channel. Nothing here changes the backup's outcome.
 */
import type { Redis } from 'ioredis';
import type { BackupDeps } from '../backup/deps.ts';
import { userMessage } from '../errors.ts';
import type { HistoryStore } from '../history/history.ts';
import type { PipelineResult } from '../pipeline/types.ts';
import type { SlackChat } from '../report/poster.ts';
import { drillMessage } from './message.ts';
import { createMetricsWriter } from './metrics.ts';
import { runDrill } from './run-drill.ts';
import { createDrillTargets } from './targets/index.ts';
import { trendLines } from './trends.ts';
import type { DrillResult } from './types.ts';

export interface AfterBackupDeps {
  backup: BackupDeps;
  redis: Redis;
  history: HistoryStore;
  slack: SlackChat | undefined;
  channel: string | undefined;
  /** How long the drill waits for the shared lock. */
  lockWaitMs: number;
}

/** Whether the nightly drill runs after this backup: every night, Sunday nights (in BACKUP_TIME_ZONE), or never. */
export function drillDue(schedule: 'nightly' | 'weekly' | 'off', trigger: 'schedule' | 'manual', outcome: PipelineResult['outcome'], now: Date, timeZone: string): boolean {
  if (schedule === 'off' || trigger !== 'schedule' || outcome !== 'ok') return false;
  if (schedule === 'nightly') return true;
  return new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short' }).format(now) === 'Sun';
}

/** Runs a drill (when asked from Slack, or due after the nightly), writes its figures, posts its line. */
export async function drillAndReport(deps: AfterBackupDeps, req: { runId: string; requestedBy: string; label?: string; threadTs?: string; signal?: AbortSignal }): Promise<DrillResult> {
  const { config, logger } = deps.backup;
  const metrics = createMetricsWriter(config, logger);
  const targets = createDrillTargets(config);
  try {
    const result = await runDrill(
      { backup: deps.backup, redis: deps.redis, history: deps.history, targets, lockWaitMs: deps.lockWaitMs, onFinished: (r) => metrics.drill(r) },
      { runId: req.runId, requestedBy: req.requestedBy, ...(req.label ? { label: req.label } : {}), ...(req.signal ? { signal: req.signal } : {}) },
    );
    if (deps.slack && deps.channel) {
      const trend = trendLines(await metrics.nights(14));
      const text = drillMessage(result, trend, config.slack.oncallGroup);
      await deps.slack.chat.postMessage({ channel: deps.channel, text, ...(req.threadTs ? { thread_ts: req.threadTs } : {}) }).catch((err: unknown) => logger.error({ err: userMessage(err) }, 'drill report not posted'));
    }
    return result;
  } finally {
    await Promise.allSettled([...targets.map((t) => t.close()), metrics.close()]);
  }
}

/** After the pipeline: backup figures, then the drill when due. Never throws. */
export async function afterBackup(deps: AfterBackupDeps, trigger: 'schedule' | 'manual', result: PipelineResult, signal?: AbortSignal): Promise<DrillResult | undefined> {
  const { config, logger } = deps.backup;
  try {
    const metrics = createMetricsWriter(config, logger);
    await metrics.backup(result);
    if (!drillDue(config.env.DRILL_SCHEDULE, trigger, result.outcome, new Date(), config.timeZone)) {
      // Without a drill tonight, the nightly report still gets its trend chart.
      const trend = trigger === 'schedule' ? trendLines(await metrics.nights(14)) : [];
      if (trend.length > 0 && deps.slack && deps.channel) {
        await deps.slack.chat.postMessage({ channel: deps.channel, text: `Last 14 nights:\n\`\`\`\n${trend.join('\n')}\n\`\`\`` });
      }
      return undefined;
    }
    return await drillAndReport(deps, { runId: `drill-after-${result.runId}`, requestedBy: 'schedule', ...(result.label ? { label: result.label } : {}), ...(signal ? { signal } : {}) });
  } catch (err) {
    logger.error({ err: userMessage(err) }, 'after-backup drill failed');
    return undefined;
  }
}
