/**
 * The restore drill: under the shared operations lock, restore a verified set into scratch targets
 * beside the live data, compare content fingerprints with what the set recorded, remove the
 * scratch. Never throws for a failed drill: the result says what failed, and the history keeps it.
 */
import { statfs } from 'node:fs/promises';
import type { Redis } from 'ioredis';
import type { BackupDeps } from '../backup/deps.ts';
import { withTimeout } from '../backup/deps.ts';
import { isComplete, listManifests } from '../backup/manifest.ts';
import { RESTORE_ORDER } from '../backup/restore-set.ts';
import { verifySet } from '../backup/verify-set.ts';
import { userMessage } from '../errors.ts';
import type { HistoryStore } from '../history/history.ts';
import { acquireLock, LockBusyError, type HeldLock } from '../lock.ts';
import { formatBytesShort } from '../report/format.ts';
import type { Artifact, StoreName } from '../stores/types.ts';
import type { DrillResult, DrillStoreResult, DrillTarget } from './types.ts';

export interface DrillDeps {
  backup: BackupDeps;
  redis: Redis;
  history: HistoryStore;
  /** The scratch targets of the configured stores (src/drill/targets). */
  targets: DrillTarget[];
  lockWaitMs: number;
  /** Told of each finished drill (metrics); its failure never changes the drill's outcome. */
  onFinished?: (r: DrillResult) => Promise<void>;
}

export interface DrillRequest {
  runId: string;
  requestedBy: string;
  /** Default: the newest complete set. */
  label?: string;
  signal?: AbortSignal;
  onProgress?: (store: StoreName, message: string) => void;
}

async function newestCompleteLabel(root: string): Promise<string | undefined> {
  const sets = (await listManifests(root)).filter((m) => isComplete(m.manifest) && m.manifest.stores.every((s) => s.ok));
  sets.sort((a, b) => (a.manifest.createdAt < b.manifest.createdAt ? 1 : -1));
  return sets[0]?.manifest.label;
}

/** Refuses (returns the reason) when a scratch copy would not fit. */
async function spaceProblem(t: DrillTarget, artifacts: Artifact[], factor: number, root: string): Promise<string | undefined> {
  const needed = t.neededBytes(artifacts, factor);
  let space = await t.space().catch(() => undefined);
  if (!space) {
    // The server does not tell its free space: the backup disk is what the drill can measure.
    const s = await statfs(root);
    space = { freeBytes: s.bavail * s.bsize, where: 'the backup disk' };
  }
  if (space.freeBytes >= needed) return undefined;
  return `not enough free space for the ${t.store} scratch copy on ${space.where}: needs about ${formatBytesShort(needed)}, ${formatBytesShort(space.freeBytes)} free`;
}

async function drillStores(deps: DrillDeps, req: DrillRequest, label: string, result: DrillResult): Promise<void> {
  const { config } = deps.backup;
  const env = config.env;
  const verified = await verifySet(deps.backup, label, { signal: req.signal });
  if (!verified.manifest) {
    result.outcome = 'failed';
    result.reason = verified.problems[0] ?? `the set ${label} has no readable manifest`;
    return;
  }
  const manifest = verified.manifest;
  const order = RESTORE_ORDER.filter((s) => manifest.artifacts.some((a) => a.store === s));
  const targets = order.map((s) => deps.targets.find((t) => t.store === s)).filter((t): t is DrillTarget => t !== undefined);
  // A store whose files fail the set's own checks fails the drill before anything is restored.
  for (const t of targets) {
    const problems = verified.byStore[t.store] ?? [];
    const first = problems[0]?.replace(`${t.store}: `, '');
    if (first !== undefined) result.stores.push({ store: t.store, ok: false, durationMs: 0, records: 0, bytes: 0, compared: 'counts', difference: `the set fails verification: ${first}` });
  }
  if (result.stores.length > 0) {
    result.outcome = 'failed';
    return;
  }
  for (const t of targets) t.checkNames();
  for (const t of targets) result.leftoversRemoved.push(...(await t.removeLeftovers()));
  for (const t of targets) {
    const why = await spaceProblem(t, manifest.artifacts.filter((a) => a.store === t.store), env.DRILL_SPACE_FACTOR, config.backupRoot);
    if (why) {
      result.outcome = 'skipped';
      result.reason = `Restore drill not started: ${why}.`;
      return;
    }
  }
  for (const t of targets) {
    const artifacts = manifest.artifacts.filter((a) => a.store === t.store);
    const started = Date.now();
    req.onProgress?.(t.store, 'restoring into scratch');
    let line: DrillStoreResult;
    try {
      const r = await withTimeout(`${t.store} drill`, config.storeTimeoutMs, req.signal, (signal) =>
        t.drill(artifacts, { label, root: config.backupRoot, signal, spaceFactor: env.DRILL_SPACE_FACTOR }),
      );
      line = { store: t.store, durationMs: Date.now() - started, ...r };
    } catch (err) {
      line = { store: t.store, ok: false, durationMs: Date.now() - started, records: 0, bytes: 0, compared: 'counts', difference: userMessage(err) };
      // Whatever the drill left behind when it was cut short goes now, not at the next run.
      await t.removeLeftovers().catch(() => undefined);
    }
    req.onProgress?.(t.store, line.ok ? `✓ ${(line.durationMs / 1000).toFixed(1)} s` : `✗ ${line.difference ?? 'failed'}`);
    result.stores.push(line);
  }
  result.outcome = result.stores.every((s) => s.ok) ? 'ok' : 'failed';
}

async function takeLock(deps: DrillDeps, req: DrillRequest, result: DrillResult): Promise<HeldLock | undefined> {
  try {
    return await acquireLock(deps.redis, `restore drill ${req.label ?? ''} (${req.requestedBy})`.replace('  ', ' '), { waitMs: deps.lockWaitMs });
  } catch (err) {
    result.outcome = 'skipped';
    result.reason = err instanceof LockBusyError
      ? `Restore drill skipped: ${err.info.holder} has held the operations lock since ${err.info.since}.`
      : `Restore drill skipped: ${userMessage(err)}`;
    return undefined;
  }
}

/** One line for `crvs-backup history` and the report. */
export function drillSummary(r: DrillResult): string {
  if (r.outcome === 'skipped') return r.reason ?? 'skipped';
  if (r.stores.length === 0) return r.reason ?? 'no store drilled';
  const failed = r.stores.find((s) => !s.ok);
  const stores = r.stores.map((s) => `${s.store} ${formatMinutes(s.durationMs)}`).join(', ');
  if (failed) return `✗ ${failed.store}: ${failed.difference ?? 'failed'}`.slice(0, 300);
  return `✓ ${formatMinutes(r.durationMs)} (${stores})`.slice(0, 300);
}

/** `11 min`, `45 s`: the unit a recovery-time figure is read in. */
export function formatMinutes(ms: number): string {
  if (ms < 60_000) return `${Math.max(1, Math.round(ms / 1000))} s`;
  return `${Math.round(ms / 60_000)} min`;
}

export async function runDrill(deps: DrillDeps, req: DrillRequest): Promise<DrillResult> {
  const { logger, config } = deps.backup;
  const startedAt = new Date().toISOString();
  const result: DrillResult = { runId: req.runId, label: req.label, startedAt, finishedAt: startedAt, outcome: 'failed', stores: [], leftoversRemoved: [], durationMs: 0 };
  const record = (): Promise<void> =>
    deps.history
      .record({ id: req.runId, kind: 'drill', label: result.label ?? req.label ?? '(newest)', startedAt, finishedAt: result.finishedAt, outcome: result.outcome, summary: drillSummary(result) })
      .catch((err: unknown) => logger.error({ err: userMessage(err) }, 'drill history failed'));
  await deps.history.record({ id: req.runId, kind: 'drill', label: req.label ?? '(newest)', startedAt, outcome: 'running', summary: `started by ${req.requestedBy}` }).catch(() => undefined);
  const started = Date.now();
  const lock = await takeLock(deps, req, result);
  if (lock) {
    try {
      const label = req.label ?? (await newestCompleteLabel(config.backupRoot));
      result.label = label;
      if (!label) {
        result.outcome = 'skipped';
        result.reason = 'Restore drill skipped: there is no complete backup set to drill.';
      } else {
        await withTimeout('restore drill', config.env.DRILL_TIMEOUT_MINUTES * 60_000, req.signal, async (signal) => drillStores(deps, { ...req, signal }, label, result));
      }
    } catch (err) {
      result.outcome = 'failed';
      result.reason = `Restore drill failed: ${userMessage(err)}`;
      for (const t of deps.targets) await t.removeLeftovers().catch(() => undefined);
    } finally {
      await lock.release().catch(() => undefined);
    }
  }
  result.durationMs = result.stores.reduce((n, s) => n + s.durationMs, 0) || Date.now() - started;
  result.finishedAt = new Date().toISOString();
  logger.info({ runId: req.runId, label: result.label, outcome: result.outcome, ms: result.durationMs }, 'restore drill finished');
  await record();
  if (deps.onFinished) await deps.onFinished(result).catch((err: unknown) => logger.warn({ err: userMessage(err) }, 'drill metrics not written'));
  return result;
}
