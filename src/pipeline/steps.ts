/** The steps after the backup itself: verify, offsite copy and retention, retention, disk space. */
import { withTimeout } from '../backup/deps.ts';
import { freeSpace } from '../backup/run-backup.ts';
import { pinnedLabels } from '../backup/pins.ts';
import { pruneLocal } from '../backup/retention.ts';
import { verifySet } from '../backup/verify-set.ts';
import { userMessage } from '../errors.ts';
import type { PipelineDeps, PipelineResult } from './types.ts';

/** Checks the operations lock right before a destructive step (HeldLock.assertHeld); throws LockLostError. */
export type Fence = (before: string) => Promise<void>;

/** Problems verifySet reports for stores whose backup failed: already on the store's own line. */
const FAILED_STORE = /: the backup of this store failed \(/;

export async function verifyStep(deps: PipelineDeps, label: string, signal: AbortSignal | undefined): Promise<PipelineResult['verify']> {
  try {
    const v = await verifySet(deps.backup, label, { signal });
    const problems = v.problems.filter((p) => !FAILED_STORE.test(p));
    return { status: problems.length === 0 ? 'ok' : 'failed', problems };
  } catch (err) {
    return { status: 'failed', problems: [userMessage(err)] };
  }
}

export async function offsiteStep(
  deps: PipelineDeps,
  label: string,
  canCopy: { ok: boolean; why: string },
  signal: AbortSignal | undefined,
  fence: Fence,
): Promise<{ offsite: PipelineResult['offsite']; remote: PipelineResult['retention']['remote'] }> {
  const { offsite } = deps;
  if (!offsite) {
    return { offsite: { status: 'not-configured', detail: 'no backup server configured (BACKUP_SERVER_HOST)' }, remote: { status: 'not-configured', removed: [] } };
  }
  if (!canCopy.ok) return { offsite: { status: 'skipped', detail: canCopy.why }, remote: { status: 'skipped', removed: [], detail: canCopy.why } };
  let copied: PipelineResult['offsite'];
  try {
    const r = await withTimeout('offsite copy', deps.offsiteTimeoutMs, signal, (s) => offsite.copySet(label, s));
    copied = {
      status: r.remoteChecksumsOk ? 'ok' : 'failed',
      detail: r.detail ?? (r.remoteChecksumsOk ? `${r.files} files copied, remote checksums match` : 'remote checksums do not match'),
      bytes: r.bytes,
      remoteChecksumsOk: r.remoteChecksumsOk,
    };
  } catch (err) {
    copied = { status: 'failed', detail: userMessage(err) };
  }
  // Remote retention only after a verified copy: never thin out the server while the newest copy is bad.
  if (copied.status !== 'ok') return { offsite: copied, remote: { status: 'skipped', removed: [], detail: 'offsite copy failed' } };
  try {
    await fence('the remote retention');
    const pruned = await withTimeout('remote retention', deps.offsiteTimeoutMs, signal, (s) => offsite.pruneRemote(s));
    return { offsite: copied, remote: { status: 'ok', removed: pruned.removed } };
  } catch (err) {
    return { offsite: copied, remote: { status: 'failed', removed: [], detail: userMessage(err) } };
  }
}

/** Runs under the pipeline's lock; sets a pending or running restore needs are kept (pins). */
export async function localRetentionStep(deps: PipelineDeps, fence: Fence): Promise<PipelineResult['retention']['local']> {
  try {
    await fence('the local retention');
    const r = await pruneLocal(deps.backup, { pinned: await pinnedLabels(deps.redis) });
    return { removed: r.removed, errors: r.errors };
  } catch (err) {
    return { removed: [], errors: [userMessage(err)] };
  }
}

export async function diskStep(deps: PipelineDeps, signal: AbortSignal | undefined): Promise<PipelineResult['disk']> {
  const warnPercent = deps.backup.config.diskWarnPercent;
  const local = await freeSpace(deps.backup.config.backupRoot).catch(() => undefined);
  let remote: PipelineResult['disk']['remote'];
  if (deps.offsite) {
    const { offsite } = deps;
    remote = await withTimeout('remote disk space', Math.min(deps.offsiteTimeoutMs, 60_000), signal, (s) => offsite.freeSpace(s)).catch(() => undefined);
  }
  return { local, remote, warnPercent };
}
