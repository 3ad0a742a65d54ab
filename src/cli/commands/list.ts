/** `crvs-backup list`: every set, newest first, and whether it is complete. */
import { isComplete, listManifests, listOrphanLabels } from '../../backup/manifest.ts';
import type { Runtime } from '../../runtime.ts';
import { summarize } from '../../core/core.ts';
import { formatBytes } from '../output.ts';

/** The options of commands whose only option is `--json`. */
export interface JsonOption {
  json?: boolean;
}

export async function listCommand(rt: Runtime, o: JsonOption): Promise<number> {
  const sets = await listManifests(rt.config.backupRoot);
  const orphans = await listOrphanLabels(rt.config.backupRoot, new Set(sets.map((s) => s.manifest.label)));
  if (o.json) {
    const rows = sets.map(({ manifest, sha256 }) => summarize(manifest, sha256, 'local'));
    process.stdout.write(`${JSON.stringify([...rows, ...orphans.map((label) => ({ label, complete: false, manifest: false }))], null, 2)}\n`);
    return 0;
  }
  if (sets.length === 0 && orphans.length === 0) {
    process.stdout.write(`No backup sets under ${rt.config.backupRoot}.\n`);
    return 0;
  }
  for (const { manifest } of sets) {
    const bytes = manifest.artifacts.reduce((n, a) => n + a.bytes, 0);
    const failed = manifest.stores.filter((s) => !s.ok).map((s) => s.store);
    const state = isComplete(manifest) ? 'complete' : failed.length > 0 ? `PARTIAL (failed: ${failed.join(', ')})` : `pruned: ${(manifest.pruned ?? []).join(', ')}`;
    process.stdout.write(`${manifest.label.padEnd(28)} ${manifest.createdAt}  ${formatBytes(bytes).padStart(10)}  ${state}\n`);
  }
  for (const label of orphans) process.stdout.write(`${label.padEnd(28)} ${'-'.padEnd(24)}  ${'-'.padStart(10)}  INCOMPLETE (no manifest)\n`);
  return 0;
}
