/**
 * `crvs-backup drill [label]`: restores a set (default: the newest complete one) into scratch
 * targets beside the live data, compares fingerprints, removes the scratch; under the lock shared
 * with the bot, recorded in the history. Exit 0 passed, 1 failed or not run, 2 bad input.
 */
import { openConnections } from '../../pipeline/in-process.ts';
import { runDrill } from '../../drill/run-drill.ts';
import { createDrillTargets } from '../../drill/targets/index.ts';
import { createMetricsWriter } from '../../drill/metrics.ts';
import { assertLabel } from '../../backup/labels.ts';
import { readManifest } from '../../backup/manifest.ts';
import { unknownLabelError } from '../../backup/verify-set.ts';
import type { Runtime } from '../../runtime.ts';

export interface DrillOptions {
  waitLock: number;
}

export async function drillCommand(rt: Runtime, label: string | undefined, o: DrillOptions): Promise<number> {
  if (label !== undefined) {
    assertLabel(label);
    // An unknown label is bad input (exit 2), named with the nearest labels, not a failed drill.
    if (!(await readManifest(rt.config.backupRoot, label).catch(() => 'unreadable'))) throw await unknownLabelError(rt.config.backupRoot, label);
  }
  const conn = await openConnections(rt);
  const targets = createDrillTargets(rt.config);
  const metrics = createMetricsWriter(rt.config, rt.logger);
  try {
    const result = await runDrill(
      { backup: rt.deps, redis: conn.redis, history: conn.history, targets, lockWaitMs: o.waitLock * 1000, onFinished: (r) => metrics.drill(r) },
      { runId: `drill-${Date.now()}`, requestedBy: `cli:${process.env['USER'] ?? 'unknown'}`, ...(label ? { label } : {}), onProgress: (s, m) => process.stderr.write(`${s}: ${m}\n`) },
    );
    const HOW = { manifest: 'content fingerprints recorded at backup', archive: 'checksums of the archive\'s own index', counts: 'counts recorded at backup' } as const;
    for (const s of result.stores) {
      const secs = `${(s.durationMs / 1000).toFixed(1)} s`;
      process.stdout.write(s.ok ? `✓ ${s.store}: restored into scratch and compared in ${secs} (${s.records} records; compared with the ${HOW[s.compared]})\n` : `✗ ${s.store}: ${s.difference ?? 'failed'}\n`);
    }
    for (const l of result.leftoversRemoved) process.stdout.write(`removed a leftover of an earlier drill: ${l}\n`);
    if (result.reason) process.stdout.write(`! ${result.reason}\n`);
    const set = result.label ?? '(none)';
    if (result.outcome === 'ok') process.stdout.write(`Restore drill of ${set} passed in ${(result.durationMs / 1000).toFixed(1)} s.\n`);
    else if (result.outcome === 'skipped') process.stdout.write('Restore drill not run.\n');
    else process.stdout.write(`Restore drill of ${set} FAILED.\n`);
    return result.outcome === 'ok' ? 0 : 1;
  } finally {
    await Promise.allSettled([...targets.map((t) => t.close()), metrics.close(), conn.close()]);
  }
}
