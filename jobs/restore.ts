/**
 * The restore processor: one job = one approved restore request (job id = request id), run or
 * resumed from its checkpoints by src/restore/restore-job.ts. What happens to the job afterwards:
 *   refused / failed       → UnrecoverableError (a human decides; never an automatic retry)
 *   anything else          → failed (one attempt), reported in the thread and on the card
 *   worker stopping        → delayed again, resumes at the same step on the next worker
 *   lock held by another   → delayed a minute, at most MAX_LOCK_WAITS times
 */
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BackupDeps } from '../src/backup/deps.ts';
import type { Executor } from '../src/exec/index.ts';
import type { Platform } from '../src/platform/index.ts';
import { LockBusyError } from '../src/lock.ts';
import { parseJobData, restoreJobSchema, type RestoreJobData } from '../src/queue/schemas.ts';
import type { ChangelogReader } from '../src/restore/migrations.ts';
import { RestoreFailedError, runRestoreJob, type RestoreJobResult } from '../src/restore/restore-job.ts';
import { abortedMessage } from '../src/restore/summary.ts';
import { boundedPoster, slackThreadPoster, type SlackThreadClient, type ThreadPoster } from '../src/restore/thread-poster.ts';
import { restoreResultCard } from '../src/slack/blocks/approval-card.ts';
import { userMessage } from '../src/errors.ts';
import { InterruptedError } from '../src/restore/wait.ts';
import type { Logger } from '../src/log.ts';

export interface RestoreProcessorDeps {
  backup: BackupDeps;
  redis: Redis;
  /** The Slack Web API client; undefined = progress is only logged. */
  slack: SlackThreadClient | undefined;
  /** Overrides for tests; by default SSH to config.manager and the MongoDB of config.mongo. */
  manager?: Executor;
  platform?: Platform;
  migrationStartGraceMs?: number;
  changelog?: ChangelogReader;
  lockWaitMs?: number;
  redeployPollMs?: number;
  /** Builds the thread poster (tests pass a recording one); default: Slack, else the log. */
  poster?: (data: RestoreJobData) => ThreadPoster;
}

const LOCK_RETRY_MS = 60_000;
/** Bound on each Slack call of the final report (the client itself retries for minutes). */
const POST_TIMEOUT_MS = 30_000;
const MAX_LOCK_WAITS = 60;

function logPoster(logger: Logger): ThreadPoster {
  return {
    async post(text) {
      logger.info({ text }, 'restore report');
      return undefined;
    },
    async update(_ts, text) {
      logger.info({ text }, 'restore report');
    },
    async root(text) {
      logger.info({ text }, 'restore outcome');
    },
  };
}

async function reportAborted(poster: ThreadPoster, data: RestoreJobData, err: unknown, backup: BackupDeps): Promise<void> {
  const lockBusy = err instanceof LockBusyError;
  const people = { requestedBy: data.requestedBy, approvedBy: data.approvedBy, oncallGroup: backup.config.slack.oncallGroup };
  const msg = abortedMessage({ label: data.label, error: userMessage(err), lockBusy, people });
  const card = restoreResultCard({ ...data, outcome: { kind: lockBusy ? 'refused' : 'failed', step: undefined } });
  const results = await Promise.allSettled([poster.post(msg.text, msg.blocks), poster.root(card.text, card.blocks)]);
  for (const r of results) {
    if (r.status === 'rejected') backup.logger.warn({ requestId: data.requestId, err: userMessage(r.reason) }, 'restore failure not reported to Slack');
  }
}

export function createRestoreProcessor(deps: RestoreProcessorDeps): (job: Job<RestoreJobData>, token?: string, signal?: AbortSignal) => Promise<RestoreJobResult> {
  return async (job, token, signal) => {
    const data = parseJobData(restoreJobSchema, job.data, 'restore');
    const { logger } = deps.backup;
    const poster =
      deps.poster?.(data) ?? (deps.slack ? slackThreadPoster(deps.slack, data.report.channel, data.report.threadTs) : logPoster(logger.child({ requestId: data.requestId })));
    try {
      return await runRestoreJob(
        {
          backup: deps.backup,
          redis: deps.redis,
          poster,
          manager: deps.manager,
          platform: deps.platform,
          migrationStartGraceMs: deps.migrationStartGraceMs,
          changelog: deps.changelog,
          lockWaitMs: deps.lockWaitMs,
          redeployPollMs: deps.redeployPollMs,
        },
        data,
        { signal },
      );
    } catch (err) {
      if (err instanceof RestoreFailedError) throw new UnrecoverableError(err.message);
      const again = err instanceof InterruptedError ? 1000 : err instanceof LockBusyError && job.attemptsStarted < MAX_LOCK_WAITS ? LOCK_RETRY_MS : undefined;
      if (again !== undefined && token) {
        logger.info({ requestId: data.requestId, reason: (err as Error).message }, 'restore job delayed');
        await job.moveToDelayed(Date.now() + again, token);
        throw new DelayedError();
      }
      // Restore jobs have one attempt: this is the end of it, so the thread and card say so.
      await reportAborted(boundedPoster(poster, POST_TIMEOUT_MS), data, err, deps.backup);
      throw err;
    }
  };
}
