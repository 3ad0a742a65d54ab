/**
 * The restore processor: one job = one approved restore request (job id = request id), run or
 * resumed from its checkpoints by src/restore/restore-job.ts. What happens to the job afterwards:
 *   refused / failed       → UnrecoverableError (a human decides; never an automatic retry)
 *   anything else          → failed (one attempt), reported in the thread and on the card
 *   worker stopping        → delayed again, resumes at the same step on the next worker
 *   lock held by another   → delayed a minute, at most MAX_LOCK_WAITS times
 *   lock lost / Redis down → delayed (suspendRetryMs), at most MAX_SUSPENSIONS times, then ended
 *                            as failed with a report; resumes at the same step under a new lock
 *   stalled too often      → (BullMQ fails it without running it) reported by reportStalledOut
 */
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BackupDeps } from '../src/backup/deps.ts';
import type { Executor } from '../src/exec/index.ts';
import type { Platform } from '../src/platform/index.ts';
import { LockBusyError } from '../src/lock.ts';
import { unpinLabel } from '../src/backup/pins.ts';
import { clearRestoreMark } from '../src/restore/active.ts';
import { createCheckpoint } from '../src/restore/checkpoint.ts';
import { parseJobData, restoreJobSchema, type RestoreJobData } from '../src/queue/schemas.ts';
import type { ChangelogReader } from '../src/restore/migrations.ts';
import { isRedisOutage, RestoreFailedError, RestoreSuspendedError, runRestoreJob, type RestoreJobResult } from '../src/restore/restore-job.ts';
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
  /** Delay before a suspended restore (lock lost, Redis down) tries again (default 30 s). */
  suspendRetryMs?: number;
}

const LOCK_RETRY_MS = 60_000;
/** Bound on each Slack call of the final report (the client itself retries for minutes). */
const POST_TIMEOUT_MS = 30_000;
const MAX_LOCK_WAITS = 60;
const SUSPEND_RETRY_MS = 30_000;
/** Bound on the resumes after a lost lock or a Redis outage (with the default delay: about an hour). */
const MAX_SUSPENSIONS = 120;


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

function threadPoster(deps: RestoreProcessorDeps, data: RestoreJobData): ThreadPoster {
  return deps.poster?.(data) ?? (deps.slack ? slackThreadPoster(deps.slack, data.report.channel, data.report.threadTs) : logPoster(deps.backup.logger.child({ requestId: data.requestId })));
}

async function reportAborted(poster: ThreadPoster, data: RestoreJobData, err: unknown, deps: RestoreProcessorDeps): Promise<void> {
  const { backup, redis } = deps;
  const lockBusy = err instanceof LockBusyError;
  const people = { requestedBy: data.requestedBy, approvedBy: data.approvedBy, oncallGroup: backup.config.slack.oncallGroup };
  const msg = abortedMessage({ label: data.label, error: userMessage(err), lockBusy, people });
  const card = restoreResultCard({ ...data, outcome: { kind: lockBusy ? 'refused' : 'failed', step: undefined } });
  // Ended: a redelivery only repeats this report, the restore mark and the set's pin go.
  const cp = createCheckpoint(redis, data.requestId);
  // Recorded before it is told, so that whoever reads the thread finds the pin and mark gone.
  const ended = await Promise.allSettled([
    (async () => {
      const meta = await cp.meta();
      if (meta.outcome !== 'done') await cp.setMeta({ outcome: lockBusy ? 'refused' : 'failed', finalText: msg.text });
      await clearRestoreMark(redis, data.requestId);
      await unpinLabel(redis, data.label, data.requestId);
    })(),
  ]);
  const results = [...ended, ...(await Promise.allSettled([poster.post(msg.text, msg.blocks), poster.root(card.text, card.blocks)]))];
  for (const r of results) {
    if (r.status === 'rejected') backup.logger.warn({ requestId: data.requestId, err: userMessage(r.reason) }, 'restore failure not fully recorded');
  }
}

/**
 * A restore job that BullMQ failed because its workers died too often (maxStalledCount): the
 * processor never ran for it, so the report, the card and the set's pin are done here.
 */
export async function reportStalledOut(deps: RestoreProcessorDeps, job: Pick<Job<RestoreJobData>, 'data'>): Promise<void> {
  const data = parseJobData(restoreJobSchema, job.data, 'restore');
  const meta = await createCheckpoint(deps.redis, data.requestId).meta().catch(() => undefined);
  if (meta?.outcome === 'done') return;
  const err = new Error('the worker running it died in the middle of it more often than allowed (each time the job was taken back), so it is not tried again automatically');
  await reportAborted(boundedPoster(threadPoster(deps, data), POST_TIMEOUT_MS), data, err, deps);
}

export function createRestoreProcessor(deps: RestoreProcessorDeps): (job: Job<RestoreJobData>, token?: string, signal?: AbortSignal) => Promise<RestoreJobResult> {
  return async (job, token, signal) => {
    const data = parseJobData(restoreJobSchema, job.data, 'restore');
    const { logger } = deps.backup;
    const poster = threadPoster(deps, data);
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
      const suspended = (err instanceof RestoreSuspendedError || (await isRedisOutage(err, deps.redis))) && job.attemptsStarted < MAX_SUSPENSIONS;
      const again =
        err instanceof InterruptedError
          ? 1000
          : suspended
            ? (deps.suspendRetryMs ?? SUSPEND_RETRY_MS)
            : err instanceof LockBusyError && job.attemptsStarted < MAX_LOCK_WAITS
              ? LOCK_RETRY_MS
              : undefined;
      if (again !== undefined && token) {
        logger.info({ requestId: data.requestId, reason: (err as Error).message }, 'restore job delayed');
        await job.moveToDelayed(Date.now() + again, token);
        throw new DelayedError();
      }
      // Restore jobs have one attempt: this is the end of it, so the thread and card say so.
      await reportAborted(boundedPoster(poster, POST_TIMEOUT_MS), data, err, deps);
      throw err;
    }
  };
}
