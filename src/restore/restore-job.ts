/**
 * The restore job (one at a time, under the shared operations lock):
 *   verify the set → safety backup of the current data → quiesce (OpenCRVS's application services
 *   scaled to 0) → restore store by store (counts checked) → stack down, restart Docker, redeploy
 *   with FACTORY_RESET=no → watch migrations → summary. The platform steps go through a Platform.
 * Every step is checkpointed in Redis, so a restarted worker resumes at the step it was on. Any
 * failure stops at that step and reports each store's state and the safety backup's label.
 */
import type { Redis } from 'ioredis';
import type { RestoreConfig } from '../config.ts';
import type { BackupDeps } from '../backup/deps.ts';
import { preRestoreLabel } from '../backup/labels.ts';
import { isComplete, readManifest } from '../backup/manifest.ts';
import { pinLabel, RESTORE_PIN_MS, unpinLabel } from '../backup/pins.ts';
import { prepareRestore, restoreSet } from '../backup/restore-set.ts';
import { runBackup } from '../backup/run-backup.ts';
import { verifySet } from '../backup/verify-set.ts';
import type { RestoreRequest } from '../core/ports.ts';
import { BotError, ConfigError, userMessage } from '../errors.ts';
import { createExecutor, type Executor } from '../exec/index.ts';
import { createSwarmPlatform, lazyKubernetesPlatform, type Platform } from '../platform/index.ts';
import { acquireLock, LockBusyError, type HeldLock } from '../lock.ts';
import type { StoreName } from '../stores/types.ts';
import { restoreResultCard } from '../slack/blocks/approval-card.ts';
import { createCheckpoint, type RestoreOutcome, type StepName, type StepState } from './checkpoint.ts';
import type { ChangelogReader } from './migrations.ts';
import { putBackAfterFailure, quiesce, redeployAndWatch } from './platform-steps.ts';
import { assertSafeRedeploy } from './redeploy.ts';
import { step, type Run } from './run.ts';
import { createStatusBoard } from './status-board.ts';
import { failureMessage, NOT_CHECKED, storeStates, summaryMessage } from './summary.ts';
import { boundedPoster, type ThreadPoster } from './thread-poster.ts';
import { InterruptedError } from './wait.ts';

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

async function safetyBackup(run: Run, stores: StoreName[]): Promise<string> {
  const { cp, deps } = run;
  const meta = await cp.meta();
  const rec = await cp.step('safety-backup');
  if (rec.state === 'done' && meta.safetyLabel) return meta.safetyLabel;
  // A worker may have died after the backup was written but before the checkpoint: keep that one.
  if (rec.state !== 'pending' && meta.safetyLabel) {
    const existing = await readManifest(deps.backup.config.backupRoot, meta.safetyLabel);
    if (existing && isComplete(existing.manifest)) {
      await cp.done('safety-backup', { note: meta.safetyLabel });
      return meta.safetyLabel;
    }
  }
  const label = preRestoreLabel(deps.backup.now?.() ?? new Date());
  await cp.setMeta({ safetyLabel: label });
  await step(run, 'safety-backup', async () => {
    const out = await runBackup(deps.backup, { label, stores, requestedBy: `restore ${run.req.requestId}`, signal: run.signal });
    if (!out.ok) {
      const failed = out.manifest.stores.filter((s) => !s.ok).map((s) => `${s.store}: ${s.error ?? 'failed'}`);
      throw new BotError('safety_backup_failed', `The safety backup ${label} failed, so nothing was restored:\n- ${failed.join('\n- ')}`);
    }
    // The safety backup is the only way back: it is verified like any set before the first delete.
    const checked = await verifySet(deps.backup, label, { signal: run.signal });
    if (checked.problems.length > 0) {
      throw new BotError('safety_backup_failed', `The safety backup ${label} failed verification, so nothing was restored:\n- ${checked.problems.join('\n- ')}`);
    }
  });
  return label;
}

async function restoreStores(run: Run, stores: StoreName[]): Promise<void> {
  const { cp, deps, req, board } = run;
  const before = new Map<StoreName, StepState>();
  await restoreSet(deps.backup, req.label, {
    stores,
    expectedManifestSha256: req.manifestSha256,
    signal: run.signal,
    isDone: async (store) => (await cp.step(`restore:${store}`)).state === 'done',
    onStoreStart: async (store) => {
      const { previous } = await cp.start(`restore:${store}`);
      before.set(store, previous);
      if (previous === 'started' || previous === 'failed') {
        // Our adapters restore by drop + load from the verified artifact, so repeating is safe.
        await board.post(`Resumed ${store} after a worker restart: restoring it again from the verified set.`);
      }
      await board.refresh();
    },
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
  const order: StepName[] = ['verify', 'safety-backup', 'quiesce', ...stores.map((s) => `restore:${s}` as StepName), ...REDEPLOY_STEPS];
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
  await unpinLabel(run.deps.redis, req.label, req.requestId).catch(() => undefined);
  await run.board.refresh(refused ? 'Refused: nothing was touched.' : 'Stopped: see the report below.');
  await run.board.post(msg);
  await drawCard(run, outcome);
  throw new RestoreFailedError(msg.text, refused);
}

/** Runs (or resumes) the restore of `req`. Throws RestoreFailedError after reporting, InterruptedError when cancelled. */
export async function runRestoreJob(rawDeps: RestoreJobDeps, req: RestoreRequest, opts: { signal?: AbortSignal } = {}): Promise<RestoreJobResult> {
  const deps: RestoreJobDeps = { ...rawDeps, poster: boundedPoster(rawDeps.poster, rawDeps.postTimeoutMs ?? POST_TIMEOUT_MS) };
  const cp = createCheckpoint(deps.redis, req.requestId);
  const first = await cp.meta();
  if (first.outcome === 'done') return { outcome: 'done', text: first.finalText ?? 'Done', safetyLabel: first.safetyLabel };
  const { config, logger } = deps.backup;
  let stores = (req.stores ?? (config.stores as StoreName[])).filter((s) => deps.backup.adapters.has(s));
  const quiesces = config.restore.redeploy && config.restore.quiesce;
  const stepsShown = (): StepName[] => [
    'verify',
    'safety-backup',
    ...(quiesces ? (['quiesce'] as StepName[]) : []),
    ...stores.map((s) => `restore:${s}` as StepName),
    ...(config.restore.redeploy ? REDEPLOY_STEPS.filter((s) => shownOn(config.restore, s)) : []),
  ];
  const board = createStatusBoard({ label: req.label, steps: stepsShown, checkpoint: cp, poster: deps.poster, logger, throttleMs: config.restore.migrationProgressMs });
  const run: Run = { deps, req, cp, board, signal: opts.signal };
  // While the job waits for the lock and runs, retention must keep the set (see pins.ts).
  await pinLabel(deps.redis, req.label, req.requestId, RESTORE_PIN_MS);
  let lock: HeldLock;
  try {
    lock = await acquireLock(deps.redis, `restore ${req.label} (${req.requestId})`, { waitMs: deps.lockWaitMs ?? 120_000 });
  } catch (err) {
    if (err instanceof LockBusyError) await board.post(`Waiting: ${userMessage(err)}. The restore starts when it is free.`);
    throw err;
  }
  try {
    const startedAt = first.startedAt ?? Date.now();
    await cp.setMeta({ outcome: 'running', startedAt });
    await board.refresh(lock.expiredPrevious ? `Previous holder of the lock stopped without releasing it: ${lock.expiredPrevious.holder}` : undefined);
    let platform: Platform | undefined;
    try {
      platform = preflight(deps);
      // Read-only, so it runs again on every resume: the set must still be intact before anything else.
      await cp.start('verify');
      stores = (await prepareRestore(deps.backup, req.label, { stores: req.stores, expectedManifestSha256: req.manifestSha256, signal: opts.signal })).stores;
      await cp.done('verify');
    } catch (err) {
      if (opts.signal?.aborted) throw new InterruptedError(`The restore of ${req.label}`);
      return await report(run, err, stores, platform);
    }
    try {
      const safetyLabel = await safetyBackup(run, stores);
      if (platform && quiesces) await quiesce(run, platform);
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
      return await report(run, err, stores, platform);
    }
  } finally {
    await lock.release().catch(() => undefined);
  }
}
