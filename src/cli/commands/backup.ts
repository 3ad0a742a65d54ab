/** `crvs-backup backup [--label L] [--stores a,b]` */
import { runBackup } from '../../backup/run-backup.ts';
import { parseStores } from './stores-flag.ts';
import { allowOnly, stringFlag, type Args } from '../args.ts';
import { createPrinter, formatBytes } from '../output.ts';
import type { Runtime } from '../../runtime.ts';

export const BACKUP_USAGE = 'crvs-backup backup [--label L] [--stores mongo,elasticsearch,influxdb,minio]';

export async function backupCommand(rt: Runtime, args: Args): Promise<number> {
  allowOnly(args, ['label', 'stores'], BACKUP_USAGE);
  const printer = createPrinter();
  const outcome = await runBackup(rt.deps, {
    label: stringFlag(args, 'label'),
    stores: parseStores(stringFlag(args, 'stores')),
    requestedBy: 'cli',
    onProgress: (p) => printer.progress(p),
  });
  printer.done();
  const { manifest } = outcome;
  for (const s of manifest.stores) {
    const bytes = manifest.artifacts.filter((a) => a.store === s.store).reduce((n, a) => n + a.bytes, 0);
    printer.line(s.ok ? `✓ ${s.store}: ${formatBytes(bytes)} in ${(s.durationMs / 1000).toFixed(1)} s` : `✗ ${s.store}: ${s.error ?? 'failed'}`);
  }
  printer.line(outcome.ok ? `Backup set ${manifest.label} is complete.` : `Backup set ${manifest.label} is PARTIAL: it cannot be relied on for a full restore.`);
  return outcome.ok ? 0 : 1;
}
