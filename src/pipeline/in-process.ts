/**
 * Runs the pipeline inside the current process (the CLI's `backup`): the same function as the
 * backup job, under the same shared lock, recorded in the same history, reported to the same
 * channel. The CLI does not enqueue and wait: it shows progress live and works even when no bot
 * is running.
 */
import type { Runtime } from '../runtime.ts';
import { createHistoryStore, type HistoryStore } from '../history/history.ts';
import { DEFAULT_PREFIX } from '../queue/names.ts';
import { connectRedisBounded, createQueues, type Queues } from '../queue/queues.ts';
import { nextNightlyRun } from '../queue/scheduler.ts';
import { createReportClient } from '../report/slack-client.ts';
import { createSlackReporter } from '../report/poster.ts';
import { configNotes } from '../report/blocks.ts';
import type { Progress, StoreName } from '../stores/types.ts';
import type { Redis } from 'ioredis';
import { runPipeline } from './run-pipeline.ts';
import type { OffsiteCopier, PipelineResult } from './types.ts';
import { createOffsiteCopier } from './offsite-adapter.ts';

export interface CoreConnections {
  redis: Redis;
  queues: Queues;
  history: HistoryStore;
  close(): Promise<void>;
}

/** Redis, the queues (read-only use) and the history, for a short-lived process. */
export async function openConnections(rt: Runtime, prefix = DEFAULT_PREFIX): Promise<CoreConnections> {
  const redis = await connectRedisBounded(rt.config.redisUrl, rt.config.connectTimeoutMs);
  const queues = createQueues(redis, prefix);
  return {
    redis,
    queues,
    history: createHistoryStore(redis, prefix),
    async close() {
      await queues.close();
      redis.disconnect();
    },
  };
}

export async function runPipelineInProcess(
  rt: Runtime,
  req: { label?: string; stores?: StoreName[]; onProgress?: (p: Progress) => void; lockWaitMs?: number },
  offsite: OffsiteCopier | undefined = createOffsiteCopier(rt.config, rt.logger),
): Promise<PipelineResult> {
  const conn = await openConnections(rt);
  try {
    const { config } = rt;
    const slack = createReportClient(config);
    const reporter = slack && config.slack.channel
      ? createSlackReporter(slack, { channel: config.slack.channel, oncallGroup: config.slack.oncallGroup, timeZone: config.timeZone, notes: configNotes(config) })
      : undefined;
    return await runPipeline(
      {
        backup: rt.deps,
        redis: conn.redis,
        history: conn.history,
        offsite,
        reporter,
        nextRun: () => nextNightlyRun(conn.queues),
        lockWaitMs: req.lockWaitMs ?? 0,
        offsiteTimeoutMs: config.storeTimeoutMs,
      },
      { runId: `cli-${Date.now()}`, trigger: 'manual', requestedBy: 'cli', label: req.label, stores: req.stores, onProgress: req.onProgress },
    );
  } finally {
    await conn.close();
  }
}
