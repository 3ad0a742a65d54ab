/**
 * The restore job (one at a time, under the shared operations lock):
 *   check the set (manifest, sizes) → quiesce (OpenCRVS's application services scaled to 0) →
 *   safety backup of the current data, taken once nothing writes to it, so that it holds every
 *   record up to the stop → verify the set in full → restore store by store (counts
 *   checked) → stack down, restart Docker, redeploy with FACTORY_RESET=no → watch migrations →
 *   summary. The platform steps go through a Platform.
 * Every step is checkpointed in Redis, so a restarted worker resumes at the step it was on. Any
 * failure stops at that step and reports each store's state and the safety backup's label.
 */
import type { Redis } from 'ioredis';
import type { RestoreConfig } from '../config.ts';
import type { BackupDeps } from '../backup/deps.ts';
import { pinLabel, RESTORE_PIN_MS, unpinLabel } from '../backup/pins.ts';
import { prepareRestore, restoreSet, type PreparedRestore } from '../backup/restore-set.ts';
import type { RestoreRequest } from '../core/ports.ts';
import { BotError, ConfigError, userMessage } from '../errors.ts';
import { createExecutor, type Executor } from '../exec/index.ts';
import { createSwarmPlatform, lazyKubernetesPlatform, type Platform } from '../platform/index.ts';
import { acquireLock, LockBusyError, LockLostError, type HeldLock } from '../lock.ts';
import type { StoreName } from '../stores/types.ts';
import { restoreResultCard } from '../slack/blocks/approval-card.ts';
import { assertNoActiveRestore, claimRestoreMark, clearRestoreMark, markRestoreActive } from './active.ts';
import { createCheckpoint, outcomeOf, type RestoreOutcome, type StepName, type StepState } from './checkpoint.ts';
import type { ChangelogReader } from './migrations.ts';
import { putBackAfterFailure, quiesce, redeployAndWatch } from './platform-steps.ts';
import { assertSafeRedeploy } from './redeploy.ts';
import type { Run } from './run.ts';
import { createStatusBoard } from './status-board.ts';
import { failureMessage, formatDuration, NOT_CHECKED, storeStates, summaryMessage } from './summary.ts';
import { boundedPoster, type ThreadPoster } from './thread-poster.ts';
import { InterruptedError } from './wait.ts';
import { safetyBackup } from './safety-backup.ts';
import { isRedisOutage, RestoreSuspendedError } from './suspend.ts';
import { pitrPhases, runPitrStep } from './pitr-step.ts';
import { showMoment } from '../pitr/moment.ts';

export { isRedisOutage, RestoreSuspendedError };

export interface RestoreJobDeps {
  backup: BackupDeps;
  redis: Redis;
  /** The request's thread. */
  poster: ThreadPoster;
  /** Runs commands on the manager node; default: SSH to config.manager. */
  manager?: Executor;
  /** The platform OpenCRVS runs on; default: Docker Swarm over `manager`. */
  platform?: Platform;
  /** How long the migration service may have no task at all (default 10 min). */
  migrationStartGraceMs?: number;
  /** Reads applied migrations; default: the MongoDB of config.mongo. */
  changelog?: ChangelogReader;
  /** How long to wait for the operations lock (longer than its TTL, so a dead worker's lock expires). */
  lockWaitMs?: number;
  /** Poll pause of the redeploy waits (tests shorten it). */
  redeployPollMs?: number;
  /** Bound on each post or edit in the thread (default 30 s). */
  postTimeoutMs?: number;
}

export interface RestoreJobResult {
  outcome: 'done';
  text: string;
  safetyLabel: string | undefined;
}

/** The restore stopped (refused or failed); the thread already has the report. */
export class RestoreFailedError extends BotError {
  readonly refused: boolean;
  constructor(message: string, refused: boolean) {
    super(refused ? 'restore_refused' : 'restore_failed', message);
    this.refused = refused;
  }
}

const REDEPLOY_STEPS: StepName[] = ['stack-down', 'docker-restart', 'deploy', 'migrations', 'reindex'];
/** A Slack call that hangs must not hold the restore (and the shared lock) with it. */
const POST_TIMEOUT_MS = 30_000;

/**
 * The job's one full verification of the set (checksums and structure), right before its first
 * destructive step: after the quiesce and the safety backup, before the first store is replaced.
 * Never skipped: a resumed job reads the set again before its next drop. Undefined when every
 * store is already restored (nothing destructive of the set's data is left).
 */
async function verifyInFull(run: Run, stores: StoreName[]): Promise<PreparedRestore | undefined> {
  const { cp, deps, req, board } = run;
  const pending: StoreName[] = [];
  for (const s of stores) if ((await cp.step(`restore:${s}`)).state !== 'done') pending.push(s);
  if (pending.length === 0) return undefined;
  if (run.signal?.aborted) throw new InterruptedError('the verification of the set');
  const { previous } = await cp.start('verify-full');
  if (previous !== 'pending') await board.post(`Resumed after a worker restart: the set ${req.label} is read in full again before the next store is replaced.`);
  await board.refresh();
  const started = Date.now();
  const prepared = await prepareRestore(deps.backup, req.label, { stores: req.stores, expectedManifestSha256: req.manifestSha256, signal: run.signal });
  const files = prepared.verified?.files.size ?? 0;
  await cp.done('verify-full', { note: `${files} file(s) read in full (sha256 and structure) in ${formatDuration(Date.now() - started)}` });
  await board.refresh();
  return prepared;
}

async function restoreStores(run: Run, allStores: StoreName[]): Promise<void> {
  const { cp, deps, req, board } = run;
  const before = new Map<StoreName, StepState>();
  let stores = allStores;
  const prepared = await verifyInFull(run, stores);
  if (!prepared) return;
  if (req.at !== undefined && stores.includes('postgres')) {
    await restorePostgresToMoment(run, new Date(req.at));
    stores = stores.filter((s) => s !== 'postgres');
    if (stores.length === 0) return;
  }
  await restoreSet(deps.backup, req.label, {
    stores,
    expectedManifestSha256: req.manifestSha256,
    signal: run.signal,
    prepared: { ...prepared, stores: prepared.stores.filter((s) => stores.includes(s)) },
    isDone: async (store) => (await cp.step(`restore:${store}`)).state === 'done',
    onStoreStart: async (store) => {
      // Before the checkpoint says "started": a fenced-out store is still pending on resume.
      await run.fence(`the restore of ${store}`);
      // From the first drop on, the mark is this job's (it takes over a dead CLI restore's).
      await markRestoreActive(deps.redis, { kind: 'job', requestId: req.requestId, label: req.label });
      const { previous } = await cp.start(`restore:${store}`);
      before.set(store, previous);
      if (previous === 'started' || previous === 'failed') {
        // Our adapters restore by drop + load from the verified artifact, so repeating is safe.
        await board.post(`Resumed ${store} after a worker restart: restoring it again from the verified set.`);
      }
      await board.refresh();
    },
    // Again right before the drop (the posts in between are bounded, well inside one TTL).
    fence: (store) => run.fence(`the restore of ${store}`),
    onStoreUntouched: async (store, reason) => {
      // Untouched only if no earlier attempt had begun to replace the data.
      const prev = before.get(store);
      if (prev === 'pending') await cp.failUntouched(`restore:${store}`, reason);
    },
    onStoreDone: async (store, counts, ms, checked) => {
      await cp.done(`restore:${store}`, { counts, durationMs: ms, ...(checked ? {} : { note: NOT_CHECKED }) });
      await board.refresh();
    },
    onProgress: (p) => board.refreshSoon(`${p.store}: ${p.message}`),
  });
}

/** PostgreSQL back to `at` from its base backup and WAL (src/restore/pitr-step.ts), as the job's restore:postgres step. */
async function restorePostgresToMoment(run: Run, at: Date): Promise<void> {
  const { cp, deps, req, board } = run;
  if ((await cp.step('restore:postgres')).state === 'done') return;
  if (!run.lock) throw new BotError('lock_lost', 'the restore to a moment runs only under the operations lock');
  const { previous } = await cp.start('restore:postgres');
  if (previous === 'started' || previous === 'failed') await board.post('Resumed the restore of PostgreSQL to the moment after a worker restart: it continues at the phase it was on.');
  await board.refresh();
  const started = Date.now();
  try {
    const r = await runPitrStep({ config: deps.backup.config, logger: deps.backup.logger, redis: deps.redis, lock: run.lock, signal: run.signal, progress: (m) => board.refreshSoon(`postgres: ${m}`), show: (d) => showMoment(d, deps.backup.config.timeZone) }, req.requestId, at);
    const note = `PostgreSQL restored to ${showMoment(at, deps.backup.config.timeZone)} from the base backup of ${r.plan.base.label} and the archived WAL; its old data folder is kept in ${r.asideDir}. The other stores come from the nightly set ${req.label}.`;
    await cp.done('restore:postgres', { durationMs: Date.now() - started, note });
    await board.post(note);
  } catch (err) {
    // Refused before the server was stopped: PostgreSQL is untouched.
    const phases = await pitrPhases(deps.redis, req.requestId);
    if (!phases.has('stop')) await cp.failUntouched('restore:postgres', userMessage(err));
    throw err;
  }
  await board.refresh();
}

/** Kubernetes has no engine restart, and its reindex Job is part of the migration watch. */
function shownOn(r: RestoreConfig, step: StepName): boolean {
  const kube = r.platform === 'kubernetes';
  if (step === 'docker-restart') return !kube;
  if (step === 'reindex') return r.reindex.enabled && !(kube && r.kube.reindexJob);
  return true;
}

/** Checks that can refuse the restore before anything is touched. Returns the platform to redeploy on. */
function preflight(deps: RestoreJobDeps): Platform | undefined {
  const { config } = deps.backup;
  if (!config.restore.redeploy) return undefined;
  assertSafeRedeploy(config.restore);
  if (deps.platform) return deps.platform;
  if (config.restore.platform === 'kubernetes') {
    const r = config.restore;
    return lazyKubernetesPlatform({ settings: r.kube, keep: r.quiesceKeep, deployCommand: r.deployCommand, dockerRestartCommand: r.dockerRestartCommand, pollMs: deps.redeployPollMs });
  }
  let exec = deps.manager;
  if (!exec) {
    if (!config.manager) throw new ConfigError('MANAGER_HOST', 'is required to redeploy after a restore (or set REDEPLOY_AFTER_RESTORE=false)');
    exec = createExecutor({ kind: 'ssh', ...config.manager });
  }
  return createSwarmPlatform({ exec, config: config.restore, pollMs: deps.redeployPollMs });
}

/**
 * The approval card (the thread's root) stops saying "queued" once the restore has ended. Best
 * effort: the thread already holds the report, and Slack trouble must not change the outcome.
 */
async function drawCard(run: Run, outcome: RestoreOutcome): Promise<void> {
  const { req } = run;
  const card = restoreResultCard({ ...req, outcome });
  try {
    await run.deps.poster.root(card.text, card.blocks);
  } catch (err) {
    run.deps.backup.logger.warn({ requestId: req.requestId, err: userMessage(err) }, 'approval card not updated');
  }
}

async function report(run: Run, err: unknown, stores: StoreName[], platform: Platform | undefined): Promise<never> {
  const { cp, req } = run;
  const steps = await cp.steps();
  // Nothing was touched unless a store's restore had begun (and got past its own checks).
  const refused = ![...steps].some(([name, rec]) => name.startsWith('restore:') && rec.state !== 'pending' && !(rec.state === 'failed' && rec.untouched));
  let failedStep: StepName | undefined;
  // In the job's own order (a Redis hash does not keep it): the report names the step that stopped.
  const order: StepName[] = ['verify', 'quiesce', 'safety-backup', 'verify-full', ...stores.map((s) => `restore:${s}` as StepName), ...REDEPLOY_STEPS];
  for (const name of order) {
    const rec = steps.get(name);
    if (!rec || (rec.state !== 'started' && rec.state !== 'failed')) continue;
    failedStep = name;
    if (rec.state === 'started') await cp.fail(name, userMessage(err));
  }
  const platformNote = await putBackAfterFailure(run, platform);
  const meta = await cp.meta();
  const safetyDone = (await cp.step('safety-backup')).state === 'done';
  const msg = failureMessage({
    platformNote,
    quiesced: (meta.quiesced?.length ?? 0) > 0,
    label: req.label,
    step: failedStep,
    error: userMessage(err),
    stores: storeStates(stores, await cp.steps()),
    safetyLabel: safetyDone ? meta.safetyLabel : undefined,
    refused,
    people: { requestedBy: req.requestedBy, approvedBy: req.approvedBy, oncallGroup: run.deps.backup.config.slack.oncallGroup },
  });
  const outcome: RestoreOutcome = { kind: refused ? 'refused' : 'failed', step: failedStep };
  await cp.setMeta({ outcome: outcome.kind, finalText: msg.text, failedStep });
  await clearRestoreMark(run.deps.redis, req.requestId).catch(() => undefined);
  await unpinLabel(run.deps.redis, req.label, req.requestId).catch(() => undefined);
  await run.board.refresh(refused ? 'Refused: nothing was touched.' : 'Stopped: see the report below.');
  await run.board.post(msg);
  await drawCard(run, outcome);
  throw new RestoreFailedError(msg.text, refused);
}

/** Posts to the thread without letting Slack (or a dead Redis behind the board) change what happens next. */
async function tell(run: Run, text: string): Promise<void> {
  await run.board.post(text).catch((err: unknown) => run.deps.backup.logger.warn({ requestId: run.req.requestId, err: userMessage(err) }, 'restore thread post failed'));
}

/** A lost lock or a Redis outage: nothing more is changed, the job resumes later. Never returns. */
async function suspend(run: Run, err: unknown): Promise<never> {
  const { req, deps } = run;
  const why = err instanceof LockLostError ? userMessage(err) : `Redis did not answer (${userMessage(err)}), so the checkpoints and the lock cannot be trusted`;
  deps.backup.logger.warn({ requestId: req.requestId, err: userMessage(err) }, 'restore suspended');
  await tell(run, `${why}. The restore of ${req.label} is paused, not ended: it resumes at the same step under a new lock. Backups and prunes stay refused until it ends.`);
  throw new RestoreSuspendedError(why, { cause: err });
}

/** Runs (or resumes) the restore of `req`. Throws RestoreFailedError after reporting, InterruptedError when cancelled, RestoreSuspendedError when it must resume later. */
export async function runRestoreJob(rawDeps: RestoreJobDeps, req: RestoreRequest, opts: { signal?: AbortSignal } = {}): Promise<RestoreJobResult> {
  const deps: RestoreJobDeps = { ...rawDeps, poster: boundedPoster(rawDeps.poster, rawDeps.postTimeoutMs ?? POST_TIMEOUT_MS) };
  const cp = createCheckpoint(deps.redis, req.requestId);
  const first = await cp.meta();
  if (first.outcome === 'done') return { outcome: 'done', text: first.finalText ?? 'Done', safetyLabel: first.safetyLabel };
  const ended = outcomeOf(first);
  if (ended && ended.kind !== 'done') {
    // A failed or refused restore is terminal: a redelivered job only says so again.
    const text = first.finalText ?? `The restore of ${req.label} ${ended.kind === 'refused' ? 'was refused' : 'failed'}; see above.`;
    await deps.poster.post(`This restore already ended (${ended.kind}); it is not run again.\n${text}`).catch(() => undefined);
    throw new RestoreFailedError(text, ended.kind === 'refused');
  }
  const { config, logger } = deps.backup;
  let stores = (req.stores ?? (config.stores as StoreName[])).filter((s) => deps.backup.adapters.has(s));
  const quiesces = config.restore.redeploy && config.restore.quiesce;
  const stepsShown = (): StepName[] => [
    'verify',
    ...(quiesces ? (['quiesce'] as StepName[]) : []),
    'safety-backup',
    'verify-full',
    ...stores.map((s) => `restore:${s}` as StepName),
    ...(config.restore.redeploy ? REDEPLOY_STEPS.filter((s) => shownOn(config.restore, s)) : []),
  ];
  const board = createStatusBoard({ label: req.label, steps: stepsShown, checkpoint: cp, poster: deps.poster, logger, throttleMs: config.restore.migrationProgressMs });
  let lock: HeldLock | undefined;
  const run: Run = {
    deps,
    req,
    cp,
    board,
    signal: opts.signal,
    fence: async (before) => {
      if (!lock) throw new LockLostError(before, 'it was never taken');
      await lock.assertHeld(before);
    },
  };
  // While the job waits for the lock and runs, retention must keep the set (see pins.ts).
  await pinLabel(deps.redis, req.label, req.requestId, RESTORE_PIN_MS);
  try {
    lock = await acquireLock(deps.redis, `restore ${req.label} (${req.requestId})`, {
      waitMs: deps.lockWaitMs ?? 120_000,
      ttlMs: config.lockTtlMs,
      onProblem: (message) => {
        logger.warn({ requestId: req.requestId }, message);
        void tell(run, message);
      },
    });
  } catch (err) {
    if (err instanceof LockBusyError) await board.post(`Waiting: ${userMessage(err)}. The restore starts when it is free.`);
    throw err;
  }
  run.lock = lock;
  try {
    const startedAt = first.startedAt ?? Date.now();
    let platform: Platform | undefined;
    try {
      // Another restore that has not ended (a paused job, a CLI restore that died) comes first.
      await assertNoActiveRestore(deps.redis, `the restore of ${req.label}`, { requestId: req.requestId });
      await cp.setMeta({ outcome: 'running', startedAt });
      await claimRestoreMark(deps.redis, { kind: 'job', requestId: req.requestId, label: req.label });
      await board.refresh(lock.expiredPrevious ? `Previous holder of the lock stopped without releasing it: ${lock.expiredPrevious.holder}` : undefined);
      platform = preflight(deps);
      // Cheap (manifest, presence and sizes; no file read), so it runs again on every resume: a set
      // that is gone or changed is refused before the quiesce and the safety backup. The full read
      // comes right before the first drop (verifyInFull).
      await cp.start('verify');
      stores = (await prepareRestore(deps.backup, req.label, { stores: req.stores, expectedManifestSha256: req.manifestSha256, signal: opts.signal, quick: true })).stores;
      await cp.done('verify');
    } catch (err) {
      if (opts.signal?.aborted) throw new InterruptedError(`The restore of ${req.label}`);
      if (await isRedisOutage(err, deps.redis)) return await suspend(run, err);
      return await report(run, err, stores, platform);
    }
    try {
      // OpenCRVS stops first: a record registered while the safety backup ran would otherwise be
      // in neither the restored data nor the backup that undoes the restore.
      if (platform && quiesces) await quiesce(run, platform);
      const safetyLabel = await safetyBackup(run, stores);
      await restoreStores(run, stores);
      const watched = platform ? await redeployAndWatch(run, platform) : undefined;
      const all = await cp.steps();
      const msg = summaryMessage({
        label: req.label,
        requestedBy: req.requestedBy,
        approvedBy: req.approvedBy,
        safetyLabel,
        steps: stepsShown().map((name) => ({ name, record: all.get(name) ?? { state: 'pending', durationMs: 0, attempts: 0 } })),
        migrations: watched,
        totalMs: Date.now() - startedAt,
      });
      await cp.setMeta({ outcome: 'done', finalText: msg.text });
      await clearRestoreMark(deps.redis, req.requestId).catch(() => undefined);
      await unpinLabel(deps.redis, req.label, req.requestId).catch(() => undefined);
      await board.refresh('Done.');
      await board.post(msg);
      await drawCard(run, { kind: 'done' });
      logger.info({ label: req.label, requestId: req.requestId }, 'restore done');
      return { outcome: 'done', text: msg.text, safetyLabel };
    } catch (err) {
      if (opts.signal?.aborted || err instanceof InterruptedError) {
        await board.post(`The worker is stopping during the restore of ${req.label}; it resumes at the same step when the worker is back.`);
        throw err instanceof InterruptedError ? err : new InterruptedError(`The restore of ${req.label}`);
      }
      if (err instanceof LockLostError || (await isRedisOutage(err, deps.redis))) return await suspend(run, err);
      return await report(run, err, stores, platform);
    }
  } finally {
    const held = await lock.release().catch(() => undefined);
    if (held === false) logger.warn({ requestId: req.requestId }, 'the operations lock had already expired or been taken when the restore released it');
  }
}
