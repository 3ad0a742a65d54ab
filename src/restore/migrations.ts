/**
 * Watches the OpenCRVS migration service after a redeploy: its Swarm task state (Complete, Failed,
 * a restart loop) and the applied migrations per database (`changelog` collections). Progress is
 * ONE message edited at most every N seconds; the watch's state lives in the checkpoint, so a
 * restarted bot resumes the same watch (same start time, same message).
 */
import { MongoClient } from 'mongodb';
import { BotError } from '../errors.ts';
import type { RestoreConfig } from '../config.ts';
import type { Platform, PlatformTask } from '../platform/index.ts';
import type { Logger } from '../log.ts';
import type { MigrationWatchState, RestoreCheckpoint } from './checkpoint.ts';
import { formatDuration, migrationProgressMessage } from './summary.ts';
import type { ThreadPoster } from './thread-poster.ts';
import { sleep } from './wait.ts';

export type TaskKind = 'missing' | 'running' | 'complete' | 'failed' | 'loop';

export interface TaskVerdict {
  kind: TaskKind;
  /** CurrentState of the newest task, e.g. "Running 2 hours ago". */
  current: string;
  /** Error column of the newest failed task. */
  error: string;
  failedTasks: number;
  tasks: number;
}

/**
 * Judges the migration service's tasks (newest first, as the platform lists them).
 * A newest task Failed/Rejected is `failed` (the caller confirms it persists: Swarm may still
 * restart it); `maxFailed` failed tasks in the history is a restart loop.
 */
export function judgeTasks(tasks: PlatformTask[], maxFailed: number): TaskVerdict {
  const failed = tasks.filter((t) => /^(failed|rejected)\b/i.test(t.state));
  const newest = tasks[0];
  const base = { current: newest?.state ?? '', error: failed[0]?.error ?? '', failedTasks: failed.length, tasks: tasks.length };
  if (!newest) return { kind: 'missing', ...base };
  if (/^complete\b/i.test(newest.state)) return { kind: 'complete', ...base };
  if (failed.length >= maxFailed) return { kind: 'loop', ...base };
  if (/^(failed|rejected)\b/i.test(newest.state)) return { kind: 'failed', ...base };
  return { kind: 'running', ...base };
}

/** Applied migrations per database. */
export interface ChangelogReader {
  counts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** Counts documents of `changelog` in each database (migrate-mongo adds one per applied migration). */
export function createChangelogReader(url: string, databases: string[], timeoutMs: number): ChangelogReader {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs });
  return {
    async counts() {
      const out: Record<string, number> = {};
      for (const db of databases) out[db] = await client.db(db).collection('changelog').countDocuments({}, { maxTimeMS: timeoutMs });
      return out;
    },
    close: () => client.close(),
  };
}

/** The migrations failed, looped, or did not finish in time. */
export class MigrationError extends BotError {
  constructor(message: string) {
    super('migrations_failed', message);
  }
}

export interface WatchDeps {
  platform: Platform;
  config: RestoreConfig;
  changelog: ChangelogReader;
  poster: ThreadPoster;
  checkpoint: RestoreCheckpoint;
  logger: Logger;
  signal?: AbortSignal;
  /** How long the service may have no task at all before we give up (it never started). */
  startGraceMs?: number;
}

export interface WatchResult {
  elapsedMs: number;
  counts: Record<string, number>;
  baseline: Record<string, number>;
  current: string;
}

/** Consecutive polls a newest Failed task must survive unreplaced before we call it final. */
const FAILED_CONFIRM_POLLS = 3;
/** Consecutive `docker service ps` errors tolerated (SSH hiccups) before the watch gives up. */
const MAX_READ_ERRORS = 5;

async function readCounts(deps: Pick<WatchDeps, 'changelog' | 'logger'>): Promise<Record<string, number> | undefined> {
  try {
    return await deps.changelog.counts();
  } catch (err) {
    deps.logger.warn({ err: (err as Error).message }, 'migration changelog unreadable');
    return undefined;
  }
}

/**
 * Records when the watch began and the applied migrations then (once). Called before the redeploy:
 * the migration service starts applying as soon as it is deployed.
 */
export async function beginMigrationWatch(deps: Pick<WatchDeps, 'checkpoint' | 'changelog' | 'logger'>): Promise<MigrationWatchState> {
  const meta = await deps.checkpoint.meta();
  if (meta.migration) return meta.migration;
  const state: MigrationWatchState = { startedAt: Date.now(), baseline: (await readCounts(deps)) ?? {} };
  await deps.checkpoint.setMeta({ migration: state });
  return state;
}

/** Watches until Complete; throws MigrationError on failure, a restart loop, or the overall timeout. */
export async function watchMigrations(deps: WatchDeps): Promise<WatchResult> {
  const { platform, config, signal, poster, checkpoint } = deps;
  const state = await beginMigrationWatch(deps);
  const deadline = state.startedAt + config.migrationTimeoutMs;
  const graceUntil = Date.now() + (deps.startGraceMs ?? 10 * 60_000);
  let lastEdit = 0;
  let readErrors = 0;
  let failedSeen = 0;
  let lastTaskCount = -1;
  let counts = state.baseline;

  async function show(verdict: TaskVerdict, force: boolean): Promise<void> {
    if (!force && Date.now() - lastEdit < config.migrationProgressMs) return;
    lastEdit = Date.now();
    const msg = migrationProgressMessage({ service: config.migrationService, counts, baseline: state.baseline, elapsedMs: Date.now() - state.startedAt, verdict });
    try {
      if (state.messageTs) await poster.update(state.messageTs, msg.text, msg.blocks);
      else {
        state.messageTs = await poster.post(msg.text, msg.blocks);
        await checkpoint.setMeta({ migration: state });
      }
    } catch (err) {
      // A Slack hiccup must not stop an hours-long watch: the next edit tries again.
      deps.logger.warn({ err: (err as Error).message }, 'migration progress message not updated');
    }
  }

  for (;;) {
    let verdict: TaskVerdict;
    try {
      verdict = platform.migrationState
        ? await platform.migrationState(state.startedAt, config.migrationMaxFailedTasks, signal)
        : judgeTasks((await platform.tasks(config.migrationService, signal)) ?? [], config.migrationMaxFailedTasks);
      readErrors = 0;
    } catch (err) {
      if (signal?.aborted) throw err;
      const text = (err as Error).message;
      if (++readErrors >= MAX_READ_ERRORS) throw new MigrationError(`Cannot read the state of ${config.migrationService}: ${text}`);
      else verdict = { kind: 'running', current: 'unknown (read failed, retrying)', error: '', failedTasks: 0, tasks: lastTaskCount };
    }
    counts = (await readCounts(deps)) ?? counts;
    const elapsed = Math.round((Date.now() - state.startedAt) / 60_000);

    if (verdict.kind === 'complete') {
      await show(verdict, true);
      return { elapsedMs: Date.now() - state.startedAt, counts, baseline: state.baseline, current: verdict.current };
    }
    if (verdict.kind === 'loop') {
      await show(verdict, true);
      throw new MigrationError(
        `${config.migrationService} is in a restart loop: ${verdict.failedTasks} failed tasks (newest: ${verdict.current}; last error: ${verdict.error || 'none given'}). Stopped waiting after ${elapsed} min; read the service's logs.`,
      );
    }
    if (verdict.kind === 'failed') {
      failedSeen = verdict.tasks === lastTaskCount ? failedSeen + 1 : 1;
      if (failedSeen >= FAILED_CONFIRM_POLLS) {
        await show(verdict, true);
        throw new MigrationError(`${config.migrationService} failed: ${verdict.current} (${verdict.error || 'no error given'}). Stopped waiting after ${elapsed} min; read the service's logs.`);
      }
    } else failedSeen = 0;
    if (verdict.kind === 'missing' && Date.now() > graceUntil) {
      await show(verdict, true);
      throw new MigrationError(`${config.migrationService} has no task: the migration service never started.`);
    }
    lastTaskCount = verdict.tasks;
    await show(verdict, false);
    const left = deadline - Date.now();
    if (left <= 0) {
      await show(verdict, true);
      throw new MigrationError(`Migrations did not finish within ${formatDuration(config.migrationTimeoutMs)} (now: ${verdict.current || 'no task'}). Stopped waiting.`);
    }
    await sleep(Math.min(config.migrationPollMs, left), signal);
  }
}
