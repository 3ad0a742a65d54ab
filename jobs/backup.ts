/** The backup processor: one job = one run of the nightly pipeline (scheduled or manual). */
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BackupDeps } from '../src/backup/deps.ts';
import type { HistoryStore } from '../src/history/history.ts';
import { runPipeline } from '../src/pipeline/run-pipeline.ts';
import type { OffsiteCopier, PipelineResult } from '../src/pipeline/types.ts';
import { backupJobSchema, parseJobData, type BackupJobData } from '../src/queue/schemas.ts';
import { createSlackReporter, type SlackChat } from '../src/report/poster.ts';
import { configNotes } from '../src/report/blocks.ts';
import { afterBackup, drillAndReport } from '../src/drill/after-backup.ts';
import { stagingRestore } from '../src/drill/staging.ts';
import type { RestoreRequest } from '../src/core/ports.ts';

export interface BackupJobDeps {
  backup: BackupDeps;
  /** The connection the shared operations lock is taken on (the same one the restore job uses). */
  redis: Redis;
  history: HistoryStore;
  offsite: OffsiteCopier | undefined;
  /**
   * The Slack Web API client; undefined = no report is posted (logged only). Reports go to
   * SLACK_CHANNEL, else to the channel the request came from (a nightly run then only logs).
   */
  slack: SlackChat | undefined;
  nextRun: () => Promise<Date | undefined>;
  /** How long a backup waits for a restore to release the lock before it is skipped (default 30 min). */
  lockWaitMs?: number;
  offsiteTimeoutMs?: number;
  /** The core's enqueueRestore: a staging bot (DRILL_SOURCE=offsite) hands production's set to the restore job with it. */
  enqueueRestore?: (req: RestoreRequest) => Promise<{ jobId: string; created: boolean }>;
}

/** What a finished backup job returns (kept by BullMQ with the job). */
export interface BackupJobResult {
  outcome: PipelineResult['outcome'];
  label: string | undefined;
  problems: string[];
}

export function createBackupProcessor(deps: BackupJobDeps): (job: Job<BackupJobData>, token?: string, signal?: AbortSignal) => Promise<BackupJobResult> {
  return async (job, _token, signal) => {
    const data = parseJobData(backupJobSchema, job.data, 'backup');
    const { config, logger } = deps.backup;
    // Without SLACK_CHANNEL, a request from Slack is still answered where it was made.
    const channel = config.slack.channel ?? data.report?.channel;
    const after = { backup: deps.backup, redis: deps.redis, history: deps.history, slack: deps.slack, channel, lockWaitMs: deps.lockWaitMs ?? 30 * 60_000 };
    if (data.trigger === 'schedule' && config.env.DRILL_SOURCE === 'offsite' && deps.enqueueRestore) {
      // A staging bot: the nightly is production's offsite set restored here, not a backup of staging.
      const s = await stagingRestore({ backup: deps.backup, enqueueRestore: deps.enqueueRestore, slack: deps.slack, channel, offsiteTimeoutMs: deps.offsiteTimeoutMs ?? config.storeTimeoutMs }, signal);
      logger.info({ jobId: job.id, label: s.label, outcome: s.outcome }, 'staging restore run finished');
      return { outcome: s.outcome === 'failed' ? 'failed' : 'ok', label: s.label, problems: s.reason ? [s.reason] : [] };
    }
    if (data.drill) {
      // `/backup drill [label]`: the drill alone, its line in the request's thread when it is in the report channel.
      const threadTs = data.report?.channel === channel ? data.report?.threadTs : undefined;
      const drill = await drillAndReport(after, { runId: job.id ?? `drill-${Date.now()}`, requestedBy: data.requestedBy, ...(data.label ? { label: data.label } : {}), ...(threadTs ? { threadTs } : {}), ...(signal ? { signal } : {}) });
      return { outcome: drill.outcome === 'ok' ? 'ok' : drill.outcome === 'skipped' ? 'skipped' : 'failed', label: drill.label, problems: drill.outcome === 'ok' ? [] : [drill.reason ?? drill.stores.find((s) => !s.ok)?.difference ?? 'failed'] };
    }
    const reporter =
      deps.slack && channel
        ? createSlackReporter(deps.slack, { channel, oncallGroup: config.slack.oncallGroup, timeZone: config.timeZone, notes: configNotes(config), requestThread: data.report })
        : undefined;
    const result = await runPipeline(
      {
        backup: deps.backup,
        redis: deps.redis,
        history: deps.history,
        // A staging bot's backup server is production's: its own sets are never copied there.
        offsite: config.env.DRILL_SOURCE === 'offsite' ? undefined : deps.offsite,
        reporter,
        nextRun: deps.nextRun,
        lockWaitMs: deps.lockWaitMs ?? 30 * 60_000,
        offsiteTimeoutMs: deps.offsiteTimeoutMs ?? config.storeTimeoutMs,
      },
      {
        runId: job.id ?? `backup-${Date.now()}`,
        trigger: data.trigger,
        requestedBy: data.requestedBy,
        label: data.label,
        stores: data.stores,
        signal,
      },
    );
    logger.info({ jobId: job.id, label: result.label, outcome: result.outcome }, 'backup run finished');
    await afterBackup(after, data.trigger, result, signal);
    return { outcome: result.outcome, label: result.label, problems: result.problems };
  };
}
