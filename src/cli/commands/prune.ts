/** `crvs-backup prune [--dry-run]`: local retention. */
import { pinnedLabels } from '../../backup/pins.ts';
import { pruneLocal } from '../../backup/retention.ts';
import { acquireLock } from '../../lock.ts';
import { openConnections } from '../../pipeline/in-process.ts';
import { assertNoActiveRestore } from '../../restore/active.ts';
import type { Runtime } from '../../runtime.ts';

export interface PruneOptions {
  dryRun?: boolean;
}

export async function pruneCommand(rt: Runtime, o: PruneOptions): Promise<number> {
  const dryRun = o.dryRun === true;
  const conn = await openConnections(rt);
  let r: Awaited<ReturnType<typeof pruneLocal>>;
  try {
    // The same lock as backups and restores: never delete files a running backup, offsite copy or
    // restore is reading. A dry run deletes nothing and needs no lock.
    const lock = dryRun ? undefined : await acquireLock(conn.redis, 'prune (cli)', { waitMs: 0, ttlMs: rt.config.lockTtlMs });
    try {
      // A restore that has not ended needs its safety backup and its set, whatever their age.
      if (lock) await assertNoActiveRestore(conn.redis, 'a prune');
      await lock?.assertHeld('the prune');
      r = await pruneLocal(rt.deps, { dryRun, pinned: await pinnedLabels(conn.redis) });
    } finally {
      await lock?.release();
    }
  } finally {
    await conn.close();
  }
  for (const x of r.removed) process.stdout.write(`${dryRun ? 'would remove' : 'removed'} ${x}\n`);
  for (const x of r.deletedSets) process.stdout.write(`deleted set ${x}\n`);
  for (const x of r.held) process.stdout.write(`kept ${x}\n`);
  for (const x of r.errors) process.stdout.write(`✗ ${x}\n`);
  if (r.removed.length === 0) process.stdout.write('Nothing to prune.\n');
  return r.errors.length > 0 ? 1 : 0;
}
