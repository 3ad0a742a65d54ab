/** `crvs-backup prune [--dry-run]`: local retention. */
import { pruneLocal } from '../../backup/retention.ts';
import type { Runtime } from '../../runtime.ts';
import { allowOnly, type Args } from '../args.ts';

export async function pruneCommand(rt: Runtime, args: Args): Promise<number> {
  allowOnly(args, ['dry-run'], 'crvs-backup prune [--dry-run]');
  const dryRun = args.flags.has('dry-run');
  const r = await pruneLocal(rt.deps, { dryRun });
  for (const x of r.removed) process.stdout.write(`${dryRun ? 'would remove' : 'removed'} ${x}\n`);
  for (const x of r.deletedSets) process.stdout.write(`deleted set ${x}\n`);
  for (const x of r.errors) process.stdout.write(`✗ ${x}\n`);
  if (r.removed.length === 0) process.stdout.write('Nothing to prune.\n');
  return r.errors.length > 0 ? 1 : 0;
}
