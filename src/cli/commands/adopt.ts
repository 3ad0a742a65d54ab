/** `crvs-backup adopt <label>`: makes a set written by the old OpenCRVS scripts restorable by the bot. */
import { adoptLegacySet, NO_LEGACY_FILE } from '../../backup/adopt.ts';
import { recordCount } from '../../stores/counts.ts';
import type { Runtime } from '../../runtime.ts';
import { createPrinter, formatBytes } from '../output.ts';

export async function adoptCommand(rt: Runtime, label: string): Promise<number> {
  const printer = createPrinter();
  const outcome = await adoptLegacySet(rt.deps, label, { onProgress: (p) => printer.progress(p) });
  printer.done();
  const { manifest } = outcome;
  for (const s of manifest.stores) {
    const mine = manifest.artifacts.filter((a) => a.store === s.store);
    if (!s.ok) {
      printer.line(`${s.error === NO_LEGACY_FILE ? '–' : '✗'} ${s.store}: ${s.error ?? 'failed'}`);
      continue;
    }
    const bytes = formatBytes(mine.reduce((n, a) => n + a.bytes, 0));
    const counted = mine.reduce((n, a) => n + recordCount(a.store, a.counts), 0);
    const counts = outcome.countsUnknown.includes(s.store) ? 'counts not recorded (legacy set)' : `${counted} records counted`;
    printer.line(`✓ ${s.store}: ${mine.length} artifact(s), ${bytes}, ${counts}`);
  }
  printer.line(`Manifest written: manifests/${label}.json (origin: legacy)`);
  if (outcome.problems.length === 0) {
    printer.line(`✓ ${label} verified: restore it with \`crvs-backup restore ${label} --yes\` (or through the bot)`);
    return 0;
  }
  printer.line(`✗ ${label} does not verify as a whole:\n${outcome.problems.map((p) => `- ${p}`).join('\n')}`);
  return 1;
}
