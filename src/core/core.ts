/**
 * The BotCore behind the chat surfaces: work goes on the BullMQ queues; sets come from the local
 * manifests and (when configured) the backup server; status from BullMQ, the scheduler and the lock.
 */
import { configNotes } from '../report/blocks.ts';
import type { Redis } from 'ioredis';
import { withTimeout, type BackupDeps } from '../backup/deps.ts';
import { nearestLabels } from '../backup/labels.ts';
import { pinLabel, RESTORE_PIN_MS, unpinLabel } from '../backup/pins.ts';
import { isComplete, listOrphanLabels, readManifest, type Manifest } from '../backup/manifest.ts';
import { createManifestLister } from '../backup/manifest-cache.ts';
import { verifySet } from '../backup/verify-set.ts';
import { identityChanges, type FileIdentity } from '../backup/identity.ts';
import { InputError, userMessage } from '../errors.ts';
import { recordCount } from '../stores/counts.ts';
import { toPortEntry, type HistoryStore } from '../history/history.ts';
import { currentLock } from '../lock.ts';
import type { OffsiteCopier, RemoteSetInfo } from '../pipeline/types.ts';
import { enqueueBackup, enqueueRestore } from '../queue/producer.ts';
import type { Queues } from '../queue/queues.ts';
import { nextNightlyRun } from '../queue/scheduler.ts';
import type { StoreName } from '../stores/types.ts';
import { showMoment } from '../pitr/moment.ts';
import { planPitr } from '../pitr/range.ts';
import { coalesce } from './coalesce.ts';
import type { BotCore, RestoreValidation, SetSummary, SetUnchanged, StatusInfo, StoreComparison } from './ports.ts';

export interface CoreDeps {
  backup: BackupDeps;
  queues: Queues;
  redis: Redis;
  history: HistoryStore;
  offsite: OffsiteCopier | undefined;
  /** Bound on listing / pulling from the backup server (default 10 minutes). */
  offsiteTimeoutMs?: number;
}

export function summarize(manifest: Manifest, sha256: string, location: SetSummary['location']): SetSummary {
  return {
    label: manifest.label,
    createdAt: manifest.createdAt,
    complete: isComplete(manifest),
    failedStores: manifest.stores.filter((s) => !s.ok).map((s) => s.store),
    bytes: manifest.artifacts.reduce((n, a) => n + a.bytes, 0),
    manifestSha256: sha256,
    location,
  };
}

function remoteSummary(r: RemoteSetInfo): SetSummary {
  return { label: r.label, createdAt: r.createdAt ?? '', complete: r.complete, failedStores: [], bytes: r.bytes, manifestSha256: r.manifestSha256, location: 'remote' };
}


export function createCore(deps: CoreDeps): BotCore {
  const { config, logger } = deps.backup;
  const offsiteMs = deps.offsiteTimeoutMs ?? 600_000;
  const manifests = createManifestLister(config.backupRoot);

  async function remoteSets(): Promise<RemoteSetInfo[]> {
    const { offsite } = deps;
    if (!offsite) return [];
    try {
      return await withTimeout('listing the backup server', Math.min(offsiteMs, 120_000), undefined, (s) => offsite.listSets(s), { graceMs: 0 });
    } catch (err) {
      logger.warn({ err: userMessage(err) }, 'remote set listing failed');
      return [];
    }
  }

  async function listSets(): Promise<SetSummary[]> {
    const local = (await manifests.list()).map((m) => summarize(m.manifest, m.sha256, 'local'));
    const byLabel = new Map(local.map((s) => [s.label, s]));
    for (const r of await remoteSets()) {
      const here = byLabel.get(r.label);
      if (here) here.location = 'both';
      else byLabel.set(r.label, remoteSummary(r));
    }
    return [...byLabel.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** A date names the newest complete set of that day (`2026-11-26` or `2026-11-26-013000`). */
  function resolveLabel(wanted: string, sets: SetSummary[]): string {
    if (sets.some((s) => s.label === wanted)) return wanted;
    if (/^\d{4}-\d{2}-\d{2}$/.test(wanted)) {
      const sameDay = sets.filter((s) => s.label.startsWith(`${wanted}-`) && s.complete);
      if (sameDay[0]) return sameDay[0].label;
    }
    return wanted;
  }

  async function comparison(manifest: Manifest): Promise<StoreComparison[]> {
    const out: StoreComparison[] = [];
    for (const s of manifest.stores) {
      if (!s.ok) continue;
      const inSet = manifest.artifacts.filter((a) => a.store === s.store).reduce((n, a) => n + recordCount(s.store, a.counts), 0);
      const adapter = deps.backup.adapters.get(s.store as StoreName);
      let current: number | undefined;
      if (adapter) {
        current = await withTimeout(`${s.store}: counting records`, config.connectTimeoutMs * 6, undefined, () => adapter.counts(), { graceMs: 0 })
          .then((counts) => recordCount(s.store, counts))
          .catch(() => undefined);
      }
      out.push({ store: s.store, current, inSet });
    }
    return out;
  }

  async function validateForRestore(labelOrDate: string): Promise<RestoreValidation> {
    const sets = await listSets();
    const label = resolveLabel(labelOrDate.trim(), sets);
    const known = sets.map((s) => s.label);
    const orphans = await listOrphanLabels(config.backupRoot, new Set(known));
    const nearest = (): string[] => nearestLabels(label, [...known, ...orphans]);
    const entry = sets.find((s) => s.label === label);
    // From here until the approval expires, retention must leave the set alone: a set pulled from
    // the backup server has an old date and would otherwise be pruned by the next nightly run.
    await pinLabel(deps.redis, label, 'restore-request', config.slack.approvalExpiryMinutes * 60_000 + offsiteMs);
    if (entry?.location === 'remote' && deps.offsite) {
      const { offsite } = deps;
      try {
        await withTimeout(`downloading ${label} from the backup server`, offsiteMs, undefined, (s) => offsite.pullSet(label, s));
      } catch (err) {
        return { ok: false, problems: [`${label} is only on the backup server and could not be downloaded: ${userMessage(err)}`], nearest: nearest() };
      }
    }
    let problems: string[];
    let files: FileIdentity[] = [];
    let verifiedSha: string | undefined;
    try {
      const verified = await verifySet(deps.backup, label);
      problems = verified.problems;
      files = verified.files;
      verifiedSha = verified.manifestSha256;
    } catch (err) {
      return { ok: false, problems: [userMessage(err)], nearest: nearest() };
    }
    const read = await readManifest(config.backupRoot, label).catch(() => undefined);
    if (!read) return { ok: false, problems: problems.length > 0 ? problems : [`${label} has no manifest`], nearest: nearest() };
    if (problems.length > 0) return { ok: false, problems, nearest: nearest() };
    const location = entry?.location === 'remote' ? 'both' : (entry?.location ?? 'local');
    const inSet = new Set(read.manifest.artifacts.map((a) => a.store));
    const untouched = [...deps.backup.adapters.keys()].filter((s) => !inSet.has(s));
    // The card (and its approvals) are bound to the manifest the verification read.
    if (read.sha256 !== verifiedSha) return { ok: false, problems: [`the manifest of ${label} changed while it was being verified; request the restore again`], nearest: [] };
    return { ok: true, set: summarize(read.manifest, read.sha256, location), comparison: await comparison(read.manifest), untouched, notes: configNotes(config), files };
  }

  async function confirmUnchanged(label: string, files: FileIdentity[]): Promise<SetUnchanged> {
    let read: Awaited<ReturnType<typeof readManifest>>;
    try {
      read = await readManifest(config.backupRoot, label);
    } catch (err) {
      return { ok: false, problems: [userMessage(err)] };
    }
    if (!read) return { ok: false, problems: [`${label} has no manifest any more`] };
    return { ok: true, manifestSha256: read.sha256, changes: await identityChanges(config.backupRoot, files) };
  }

  async function readStatus(): Promise<StatusInfo> {
    // Independent reads, made together: the reply waits for the slowest, not for their sum.
    const [backups, restores, sets, lock, next] = await Promise.all([
      deps.queues.backup.getActive(),
      deps.queues.restore.getActive(),
      manifests.list(),
      currentLock(deps.redis),
      nextNightlyRun(deps.queues),
    ]);
    const running: StatusInfo['running'] = [];
    for (const j of backups) running.push({ id: j.id ?? '', kind: j.data.drill ? 'drill' : 'backup', label: j.data.label ?? (j.data.drill ? '(newest)' : '(today)'), startedAt: new Date(j.processedOn ?? j.timestamp).toISOString() });
    for (const j of restores) running.push({ id: j.id ?? '', kind: 'restore', label: j.data.label, startedAt: new Date(j.processedOn ?? j.timestamp).toISOString() });
    const newest = sets.find((m) => isComplete(m.manifest));
    return {
      running,
      lastComplete: newest ? summarize(newest.manifest, newest.sha256, 'local') : undefined,
      nextRun: next?.toISOString(),
      lock: lock ? { holder: lock.holder, since: lock.since } : undefined,
    };
  }

  return {
    enqueueBackup: (req) => enqueueBackup(deps.queues, req, deps.backup.now?.() ?? new Date()),
    listSets,
    status: coalesce(readStatus),
    async history(limit) {
      return (await deps.history.list(limit)).map(toPortEntry);
    },
    validateForRestore,
    confirmUnchanged,
    async planRestoreToMoment(at) {
      if (!config.pitr.enabled) throw new InputError('Restoring to a moment needs point-in-time recovery (PITR_ENABLED=true, see the README); restore a nightly set by its date instead.', 'pitr_disabled');
      if (!config.pitr.server) throw new InputError('Restoring to a moment needs PITR_DATA_DIR, PITR_STOP_COMMAND and PITR_START_COMMAND (see the README).', 'pitr_not_configured');
      const plan = await planPitr(config.backupRoot, at, (d) => showMoment(d, config.timeZone));
      if (!plan.nightly) throw new InputError(`No complete nightly set was taken before ${showMoment(at, config.timeZone)}: the other stores would have no restore point.`, 'pitr_no_set');
      return plan;
    },
    async enqueueRestore(req) {
      // Pinned before the job exists: the job may wait hours for the lock behind a nightly backup.
      await pinLabel(deps.redis, req.label, req.requestId, RESTORE_PIN_MS);
      try {
        return await enqueueRestore(deps.queues, deps.redis, req);
      } catch (err) {
        await unpinLabel(deps.redis, req.label, req.requestId).catch(() => undefined);
        throw err;
      }
    },
  };
}
