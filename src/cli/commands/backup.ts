/**
 * `crvs-backup backup [--label L] [--stores a,b] [--wait-lock SECONDS]`: runs the nightly pipeline
 * in this process (the same function as the bot's backup job, under the same shared lock; recorded
 * in the history and reported to SLACK_CHANNEL when Slack is configured).
 */
import { runPipelineInProcess } from '../../pipeline/in-process.ts';
import { storeSizeText } from '../../report/blocks.ts';
import { createPrinter } from '../output.ts';
import type { Runtime } from '../../runtime.ts';
import type { StoreName } from '../../stores/types.ts';

export interface BackupOptions {
  label?: string;
  stores?: StoreName[];
  waitLock: number;
}

export async function backupCommand(rt: Runtime, o: BackupOptions): Promise<number> {
  // The label was checked while parsing (exit 2) rather than by the pipeline, which would record a failed run.
  const { label, stores } = o;
  const printer = createPrinter();
  const result = await runPipelineInProcess(rt, {
    label,
    stores,
    onProgress: (p) => printer.progress(p),
    lockWaitMs: o.waitLock * 1000,
  });
  printer.done();
  for (const s of result.stores) {
    const secs = `${(s.durationMs / 1000).toFixed(1)} s`;
    const size = s.snapshot ? `${storeSizeText(s)}; ${secs}` : `${storeSizeText(s)} in ${secs}`;
    printer.line(s.ok ? `✓ ${s.store}: ${size}` : `✗ ${s.store}: ${s.error ?? 'failed'}`);
  }
  if (result.verify.status !== 'skipped') printer.line(`verify: ${result.verify.status}`);
  if (result.offsite.status !== 'not-configured') printer.line(`offsite: ${result.offsite.status}${result.offsite.detail ? ` (${result.offsite.detail})` : ''}`);
  for (const p of result.problems) printer.line(`! ${p}`);
  for (const w of result.warnings) printer.line(`warning: ${w}`);
  const shownLabel = result.label ?? '(none)';
  if (result.outcome === 'ok') printer.line(`Backup set ${shownLabel} is complete.`);
  else if (result.outcome === 'partial') printer.line(`Backup set ${shownLabel} is PARTIAL: it cannot be relied on for a full restore.`);
  else printer.line(result.outcome === 'skipped' ? 'Backup skipped.' : `Backup FAILED${result.label ? ` (set ${shownLabel})` : ''}.`);
  return result.outcome === 'ok' ? 0 : 1;
}
