/**
 * Runs one backup or restore of the given stores in its own process and prints one JSON line
 * with the duration, bytes and this process's peak RSS, so the parent can compare scales.
 * Usage: tsx bench/child-store-op.ts backup|restore <stores> [label]
 */
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { createRuntime } from '../src/runtime.ts';
import { runBackup } from '../src/backup/run-backup.ts';
import { restoreSet } from '../src/backup/restore-set.ts';
import type { StoreName } from '../src/stores/types.ts';

async function main(): Promise<void> {
  const [op, storesArg, labelArg] = process.argv.slice(2);
  const stores = (storesArg ?? 'mongo').split(',') as StoreName[];
  const config = loadConfig({ ...process.env, BACKUP_STORES: stores.join(',') });
  const rt = createRuntime(config, createLogger('silent'));
  const started = performance.now();
  let bytes = 0;
  let label = labelArg ?? '';
  if (op === 'backup') {
    const out = await runBackup(rt.deps, { requestedBy: 'bench', label: labelArg });
    if (!out.ok) throw new Error(`backup failed: ${out.manifest.stores.map((s) => s.error).join('; ')}`);
    bytes = out.manifest.artifacts.reduce((n, a) => n + a.bytes, 0);
    label = out.manifest.label;
  } else {
    await restoreSet(rt.deps, label);
  }
  const ms = performance.now() - started;
  await rt.close();
  process.stdout.write(`${JSON.stringify({ op, stores, label, ms, bytes, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
