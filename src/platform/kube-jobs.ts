/**
 * OpenCRVS's migrations on Kubernetes: Helm hook Jobs (data-migration, data-migration-analytics,
 * data-migration-legacy), then the elasticsearch-reindex Job. Read from the Jobs' status only:
 * Complete, Failed (the Job's backoffLimit was used up), or still active — with its failed pods
 * counted, so that a Job that keeps restarting a failing pod is called a loop early.
 */
import type { BatchV1Api, V1Job } from '@kubernetes/client-node';
import type { MigrationState } from './types.ts';

export interface JobScope {
  batch: BatchV1Api;
  namespace: string;
  /** Hook Jobs, in the order Helm runs them. */
  migrationJobs: string[];
  /** Runs after the migrations; undefined: none. */
  reindexJob?: string;
}

interface JobFacts {
  name: string;
  state: 'complete' | 'failed' | 'active';
  failedPods: number;
  activePods: number;
  reason: string;
}

/** Jobs made earlier than this (ms before `since`) belong to an earlier deploy. */
const CLOCK_SLACK_MS = 5000;

function facts(job: V1Job): JobFacts {
  const conditions = job.status?.conditions ?? [];
  const failed = conditions.find((c) => c.type === 'Failed' && c.status === 'True');
  const complete = conditions.find((c) => c.type === 'Complete' && c.status === 'True');
  const state = failed ? 'failed' : complete ? 'complete' : 'active';
  const reason = failed ? [failed.reason, failed.message].filter(Boolean).join(': ') : '';
  return { name: job.metadata?.name ?? '', state, failedPods: job.status?.failed ?? 0, activePods: job.status?.active ?? 0, reason };
}

async function readJob(s: JobScope, name: string, since: number): Promise<JobFacts | undefined> {
  try {
    const job = await s.batch.readNamespacedJob({ name, namespace: s.namespace });
    const created = job.metadata?.creationTimestamp ? new Date(job.metadata.creationTimestamp).getTime() : 0;
    return created >= since - CLOCK_SLACK_MS ? facts(job) : undefined;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

function describe(j: JobFacts): string {
  if (j.state === 'complete') return `${j.name}: Complete`;
  if (j.state === 'failed') return `${j.name}: Failed (${j.failedPods} failed pod(s))`;
  return `${j.name}: running (${j.activePods} active pod(s), ${j.failedPods} failed)`;
}

/**
 * The migrations as one verdict. Only Jobs created since `since` count: an earlier deploy's
 * completed Jobs say nothing about this one. `maxFailed` failed pods of a Job still active is a loop.
 */
export async function readMigrationState(s: JobScope, since: number, maxFailed: number): Promise<MigrationState> {
  const jobs: JobFacts[] = [];
  for (const name of s.migrationJobs) {
    const j = await readJob(s, name, since);
    if (j) jobs.push(j);
  }
  const failedPods = jobs.reduce((n, j) => n + j.failedPods, 0);
  const tasks = jobs.reduce((n, j) => n + j.failedPods + j.activePods + (j.state === 'complete' ? 1 : 0), 0);
  const base = { failedTasks: failedPods, tasks };
  if (jobs.length === 0) return { kind: 'missing', current: `no migration Job yet (${s.migrationJobs.join(', ')})`, error: '', ...base };
  const failed = jobs.find((j) => j.state === 'failed');
  if (failed) return { kind: 'failed', current: `Job ${describe(failed)}`, error: failed.reason || 'no reason given', ...base };
  const looping = jobs.find((j) => j.state === 'active' && j.failedPods >= maxFailed);
  if (looping) return { kind: 'loop', current: `Job ${describe(looping)}`, error: `${looping.failedPods} pods failed and the Job keeps starting new ones`, ...base };
  const active = jobs.find((j) => j.state === 'active');
  if (active) return { kind: 'running', current: `Job ${describe(active)}`, error: '', ...base };
  const absent = s.migrationJobs.filter((n) => !jobs.some((j) => j.name === n));
  const done = `${jobs.map((j) => j.name).join(', ')} Complete${absent.length > 0 ? ` (not in this deployment: ${absent.join(', ')})` : ''}`;
  if (!s.reindexJob) return { kind: 'complete', current: `Complete: ${done}`, error: '', ...base };
  const reindex = await readJob(s, s.reindexJob, since);
  if (!reindex) return { kind: 'running', current: `${done}; waiting for Job ${s.reindexJob}`, error: '', ...base };
  if (reindex.state === 'failed') return { kind: 'failed', current: `Job ${describe(reindex)}`, error: reindex.reason || 'no reason given', ...base };
  if (reindex.state === 'active' && reindex.failedPods >= maxFailed) return { kind: 'loop', current: `Job ${describe(reindex)}`, error: `${reindex.failedPods} pods failed`, ...base };
  if (reindex.state === 'active') return { kind: 'running', current: `${done}; Job ${describe(reindex)}`, error: '', ...base };
  return { kind: 'complete', current: `Complete: ${done}; ${reindex.name} Complete`, error: '', ...base };
}
