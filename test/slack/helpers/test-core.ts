/** A small BotCore for Slack tests: sets kept in memory, every enqueue recorded. */
import type { StoreName } from '../../../src/stores/types.ts';
import type { FileIdentity } from '../../../src/backup/identity.ts';
import { InputError } from '../../../src/errors.ts';
import type { PitrPlan } from '../../../src/pitr/range.ts';
import type { BackupRequest, BotCore, HistoryEntry, RestoreRequest, RestoreValidation, SetSummary, StatusInfo, StoreComparison } from '../../../src/core/ports.ts';

export interface TestCore extends BotCore {
  sets: Map<string, SetSummary>;
  comparison: StoreComparison[];
  /** Configured stores the set has nothing of. */
  untouched: StoreName[];
  backups: BackupRequest[];
  restores: RestoreRequest[];
  validations: number;
  /** Approval clicks' cheap checks of the set (no full read). */
  confirmations: number;
  /** Files of every set as its request's verification recorded them; `changes` is what a click would find different now. */
  files: FileIdentity[];
  changes: string[];
  /** The files the last click's check was given (what the request recorded, read back from Redis). */
  confirmedWith: FileIdentity[] | undefined;
  /** Makes validateForRestore (and the clicks' check) slow, to widen race windows. */
  validateDelayMs: number;
  /** Restore to a moment: the range and the plan's parts (undefined: point-in-time recovery is off). */
  pitr: { from: Date; to: Date; plan: Omit<PitrPlan, 'target'> } | undefined;
}

export function testSet(label: string, sha = 'a'.repeat(64), hoursAgo = 3): SetSummary {
  return {
    label,
    createdAt: new Date(Date.now() - hoursAgo * 3600_000).toISOString(),
    complete: true,
    failedStores: [],
    bytes: 123_456_789,
    manifestSha256: sha,
    location: 'both',
  };
}

export function createTestCore(): TestCore {
  const core: TestCore = {
    sets: new Map([['2026-11-25', testSet('2026-11-25')]]),
    comparison: [
      { store: 'mongo', current: 1200, inSet: 1150 },
      { store: 'elasticsearch', current: 800, inSet: 790 },
      { store: 'influxdb', current: undefined, inSet: 5000 },
      { store: 'minio', current: 42, inSet: 40 },
    ],
    untouched: [],
    backups: [],
    restores: [],
    validations: 0,
    confirmations: 0,
    files: [{ path: 'mongo/hearth-dev-2026-11-25.gz', bytes: 1234, mtimeMs: 1_764_000_000_000, sha256: 'c'.repeat(64) }],
    changes: [],
    confirmedWith: undefined,
    validateDelayMs: 0,
    async enqueueBackup(req) {
      core.backups.push(req);
      return { jobId: `backup-${req.label ?? 'today'}` };
    },
    async listSets() {
      return [...core.sets.values()];
    },
    async status(): Promise<StatusInfo> {
      return { running: [], lastComplete: [...core.sets.values()][0], nextRun: '2026-11-27T00:00:00Z', lock: undefined };
    },
    async history(limit): Promise<HistoryEntry[]> {
      const e: HistoryEntry = { id: 'backup-2026-11-25', kind: 'backup', label: '2026-11-25', startedAt: '2026-11-25T00:00:00Z', finishedAt: '2026-11-25T00:10:00Z', outcome: 'ok', summary: '4 stores, 123 MB' };
      return [e].slice(0, limit);
    },
    async validateForRestore(target): Promise<RestoreValidation> {
      core.validations += 1;
      if (core.validateDelayMs) await new Promise((r) => setTimeout(r, core.validateDelayMs));
      const set = core.sets.get(target);
      if (!set) return { ok: false, problems: [`no backup set named ${target}`], nearest: [...core.sets.keys()].slice(0, 3) };
      return { ok: true, set: { ...set }, comparison: core.comparison, untouched: core.untouched, files: core.files };
    },
    async confirmUnchanged(label, files) {
      core.confirmations += 1;
      if (core.validateDelayMs) await new Promise((r) => setTimeout(r, core.validateDelayMs));
      const set = core.sets.get(label);
      if (!set?.manifestSha256) return { ok: false, problems: [`no backup set named ${label}`] };
      core.confirmedWith = files;
      return { ok: true, manifestSha256: set.manifestSha256, changes: core.changes };
    },
    pitr: undefined,
    async planRestoreToMoment(at) {
      const p = core.pitr;
      if (!p) throw new InputError('Restoring to a moment needs point-in-time recovery (PITR_ENABLED=true).', 'pitr_disabled');
      if (at < p.from || at > p.to) throw new InputError(`PostgreSQL cannot be restored to ${at.toISOString()}: possible: ${p.from.toISOString()} → ${p.to.toISOString()}.`, 'pitr_out_of_range');
      return { ...p.plan, target: at.toISOString() };
    },
    async enqueueRestore(req) {
      core.restores.push(req);
      return { jobId: req.requestId, created: core.restores.filter((r) => r.requestId === req.requestId).length === 1 };
    },
  };
  return core;
}
