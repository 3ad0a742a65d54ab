/**
 * The restore's safety backup of the current data, taken (and verified) before anything is
 * touched. A worker that died after writing it but before its checkpoint finds it on disk: it is
 * verified like any set before it is trusted, and replaced when it does not verify.
 */
import { preRestoreLabel } from '../backup/labels.ts';
import { isComplete, readManifest } from '../backup/manifest.ts';
import { runBackup } from '../backup/run-backup.ts';
import { verifySet } from '../backup/verify-set.ts';
import { BotError } from '../errors.ts';
import type { StoreName } from '../stores/types.ts';
import { step, type Run } from './run.ts';

/** Returns the label of the verified safety backup. */
export async function safetyBackup(run: Run, stores: StoreName[]): Promise<string> {
  const { cp, deps } = run;
  const meta = await cp.meta();
  const rec = await cp.step('safety-backup');
  if (rec.state === 'done' && meta.safetyLabel) return meta.safetyLabel;
  // A worker may have died after the backup was written but before the checkpoint: keep that one,
  // but only once it verifies like any set (it may have died while writing it).
  if (rec.state !== 'pending' && meta.safetyLabel) {
    const existing = await readManifest(deps.backup.config.backupRoot, meta.safetyLabel);
    if (existing && isComplete(existing.manifest)) {
      const checked = await verifySet(deps.backup, meta.safetyLabel, { signal: run.signal });
      if (checked.problems.length === 0) {
        await cp.done('safety-backup', { note: meta.safetyLabel });
        await run.board.post(`The safety backup ${meta.safetyLabel}, written before the worker restart, verified: it is kept.`);
        return meta.safetyLabel;
      }
      await run.board.post(`The safety backup ${meta.safetyLabel}, found after the worker restart, failed verification (${checked.problems.slice(0, 3).join('; ')}): taking a new one before anything is touched.`);
    }
  }
  let label = preRestoreLabel(deps.backup.now?.() ?? new Date());
  if (label === meta.safetyLabel) label = `${label}-2`;
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
