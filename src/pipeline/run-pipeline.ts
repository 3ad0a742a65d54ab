/**
 * The nightly run (also every manual backup): take the shared lock → back up every store →
 * verify → offsite copy and remote retention → local retention → disk space → history → report.
 * One store's failure never stops the others; every step's outcome ends up in the result.
 */
import { listManifests, type Manifest } from '../backup/manifest.ts';
import { runBackup } from '../backup/run-backup.ts';
import { userMessage } from '../errors.ts';
import { acquireLock, LockBusyError, type HeldLock } from '../lock.ts';
import { assertNoActiveRestore } from '../restore/active.ts';
import { localRetentionStep, diskStep, offsiteStep, verifyStep, type Fence } from './steps.ts';
import { storeLines } from './store-lines.ts';
import type { PipelineDeps, PipelineRequest, PipelineResult } from './types.ts';
import { formatBytesShort } from '../report/format.ts';
import { pitrStatus } from '../pitr/status.ts';

function emptyResult(req: PipelineRequest, startedAt: string, warnPercent: number, offsiteConfigured: boolean): PipelineResult {
  return {
    runId: req.runId,
    trigger: req.trigger,
    requestedBy: req.requestedBy,
    label: req.label,
    manifestSha256: undefined,
    startedAt,
    finishedAt: startedAt,
    outcome: 'failed',
    stores: [],
    verify: { status: 'skipped', problems: [] },
    offsite: offsiteConfigured ? { status: 'skipped', detail: 'the backup did not run' } : { status: 'not-configured', detail: '' },
    retention: { local: { removed: [], errors: [] }, remote: { status: offsiteConfigured ? 'skipped' : 'not-configured', removed: [] } },
    disk: { local: undefined, remote: undefined, warnPercent },
    problems: [],
    warnings: [],
    nextRun: undefined,
  };
}

async function takeLock(deps: PipelineDeps, req: PipelineRequest, result: PipelineResult): Promise<HeldLock | undefined> {
  let held: HeldLock;
  const { logger } = deps.backup;
  try {
    held = await acquireLock(deps.redis, `backup ${req.label ?? req.runId} (${req.requestedBy})`, {
      waitMs: deps.lockWaitMs,
      ttlMs: deps.backup.config.lockTtlMs,
      onProblem: (message) => {
        logger.warn({ runId: req.runId }, message);
        result.warnings.push(message);
      },
    });
  } catch (err) {
    const why = err instanceof LockBusyError
      ? `${err.info.holder} has held the operations lock since ${err.info.since}; waited ${Math.round(deps.lockWaitMs / 1000)} s`
      : userMessage(err);
    result.outcome = 'skipped';
    result.problems.push(`Backup skipped: ${why}.`);
    return undefined;
  }
  try {
    // A restore that has not ended (paused for a lost lock, or a CLI restore that died) may have
    // left half-restored data: backing that up as a complete set is what the mark prevents.
    await assertNoActiveRestore(deps.redis, 'a backup');
  } catch (err) {
    await held.release().catch(() => undefined);
    result.outcome = 'skipped';
    result.problems.push(`Backup skipped: ${userMessage(err)}`);
    return undefined;
  }
  if (held.expiredPrevious) {
    result.warnings.push(`The previous lock holder (${held.expiredPrevious.holder}, since ${held.expiredPrevious.since}) stopped without releasing the lock; it expired.`);
  }
  return held;
}

function outcomeOf(result: PipelineResult, manifest: Manifest): PipelineResult['outcome'] {
  const failedStores = manifest.stores.filter((s) => !s.ok).length;
  if (failedStores === manifest.stores.length) return 'failed';
  if (failedStores > 0) return 'partial';
  if (result.verify.status === 'failed' || result.offsite.status === 'failed') return 'failed';
  return 'ok';
}

function collectFindings(result: PipelineResult): void {
  for (const s of result.stores) {
    if (!s.ok) result.problems.push(`${s.store}: ${s.error ?? 'failed'}`);
    else if (s.shrank) result.warnings.push(`${s.store} shrank by ${Math.abs(s.changePercent ?? 0).toFixed(0)} % since ${s.previousLabel ?? 'the previous set'}.`);
  }
  for (const p of result.verify.problems) result.problems.push(`verification: ${p}`);
  if (result.offsite.status === 'failed') result.problems.push(`offsite copy: ${result.offsite.detail}`);
  if (result.retention.remote.status === 'failed') result.warnings.push(`remote retention: ${result.retention.remote.detail ?? 'failed'}`);
  for (const e of result.retention.local.errors) result.warnings.push(`local retention: ${e}`);
  const p = result.pitr;
  if (p && p.lagMs !== undefined && p.lagMs > p.maxLagMs) result.problems.push(`The PostgreSQL point-in-time archive is ${(p.lagMs / 60_000).toFixed(0)} min behind (limit ${(p.maxLagMs / 60_000).toFixed(0)} min).`);
  if (p && result.label !== undefined && !p.baseInSet && result.outcome === 'ok') result.warnings.push('No base backup for point-in-time recovery in this set.');
  const { local, remote, warnPercent } = result.disk;
  if (local && local.freePercent < warnPercent) result.problems.push(`Backup disk is low: ${local.freePercent.toFixed(0)} % free (${formatBytesShort(local.freeBytes)}), below ${warnPercent} %.`);
  if (remote && remote.freePercent < warnPercent) result.problems.push(`Backup server disk is low: ${remote.freePercent.toFixed(0)} % free (${formatBytesShort(remote.freeBytes)}), below ${warnPercent} %.`);
}

async function safely(what: string, deps: PipelineDeps, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    deps.backup.logger.error({ err: userMessage(err) }, `${what} failed`);
  }
}

async function backupSteps(deps: PipelineDeps, req: PipelineRequest, result: PipelineResult, fence: Fence): Promise<void> {
  const before = await listManifests(deps.backup.config.backupRoot);
  let manifest: Manifest;
  try {
    const out = await runBackup(deps.backup, { label: req.label, stores: req.stores, requestedBy: req.requestedBy, signal: req.signal, onProgress: req.onProgress });
    manifest = out.manifest;
    result.label = manifest.label;
    result.manifestSha256 = out.manifestSha256;
  } catch (err) {
    // Failed before any store ran (no space, bad label): no set was made.
    result.outcome = 'failed';
    result.problems.push(`Backup did not start: ${userMessage(err)}`);
    return;
  }
  result.stores = storeLines(manifest, before.map((m) => m.manifest));
  result.verify = await verifyStep(deps, manifest.label, req.signal);
  const anyOk = manifest.stores.some((s) => s.ok);
  const canCopy = !anyOk
    ? { ok: false, why: 'no store was backed up' }
    : result.verify.status !== 'ok'
      ? { ok: false, why: 'the set failed verification' }
      : { ok: true, why: '' };
  const { offsite, remote } = await offsiteStep(deps, manifest.label, canCopy, req.signal, fence);
  result.offsite = offsite;
  result.retention.remote = remote;
  result.retention.local = await localRetentionStep(deps, fence);
  result.outcome = outcomeOf(result, manifest);
}

/** Runs the whole pipeline; never throws for a failed step (the result says what failed). */
export async function runPipeline(deps: PipelineDeps, req: PipelineRequest): Promise<PipelineResult> {
  const now = (): string => (deps.backup.now?.() ?? new Date()).toISOString();
  const result = emptyResult(req, now(), deps.backup.config.diskWarnPercent, deps.offsite !== undefined);
  await safely('report start', deps, async () => deps.reporter?.started({ runId: req.runId, label: req.label, trigger: req.trigger, requestedBy: req.requestedBy }));
  await safely('history start', deps, () =>
    deps.history.record({ id: req.runId, kind: 'backup', label: req.label ?? '(date)', startedAt: result.startedAt, outcome: 'running', summary: `started by ${req.requestedBy}` }),
  );
  const lock = await takeLock(deps, req, result);
  if (lock) {
    try {
      await backupSteps(deps, req, result, (before) => lock.assertHeld(before));
    } catch (err) {
      result.outcome = 'failed';
      result.problems.push(`Unexpected failure: ${userMessage(err)}`);
    } finally {
      const held = await lock.release().catch(() => undefined);
      if (held === false) result.warnings.push('The operations lock had expired or been taken before this backup ended; nothing was deleted without it.');
    }
  }
  result.disk = await diskStep(deps, req.signal);
  if (deps.backup.config.pitr.enabled) await safely('point-in-time status', deps, async () => void (result.pitr = await pitrStatus(deps.backup.config, result.label)));
  collectFindings(result);
  result.nextRun = (await deps.nextRun().catch(() => undefined))?.toISOString();
  result.finishedAt = now();
  await safely('history finish', deps, () =>
    deps.history.record({
      id: req.runId,
      kind: 'backup',
      label: result.label ?? req.label ?? '(none)',
      startedAt: result.startedAt,
      finishedAt: result.finishedAt,
      outcome: result.outcome,
      summary: historySummary(result),
    }),
  );
  await safely('report', deps, async () => deps.reporter?.finished(result));
  return result;
}

/** One line for `crvs-backup history` and the /status history. */
export function historySummary(r: PipelineResult): string {
  if (r.outcome === 'skipped') return r.problems[0] ?? 'skipped';
  const stores = r.stores.map((s) => `${s.ok ? '✓' : '✗'} ${s.store}`).join(' ');
  const offsite = r.offsite.status === 'not-configured' ? '' : ` · offsite ${r.offsite.status}`;
  const first = r.problems[0] ? ` · ${r.problems[0]}` : '';
  return `${stores || 'no stores ran'}${offsite}${first}`.slice(0, 300);
}
