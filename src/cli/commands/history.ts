/** `crvs-backup history [--limit N] [--json]`: the outcome of every recent run, newest first. */
import { InputError } from '../../errors.ts';
import { openConnections } from '../../pipeline/in-process.ts';
import type { Runtime } from '../../runtime.ts';
import { allowOnly, stringFlag, type Args } from '../args.ts';

export const HISTORY_USAGE = 'crvs-backup history [--limit N] [--json]';

const MARK: Record<string, string> = { ok: '✓', partial: '✗', failed: '✗', skipped: '✗', running: '…' };

export async function historyCommand(rt: Runtime, args: Args): Promise<number> {
  allowOnly(args, ['limit', 'json'], HISTORY_USAGE);
  const raw = stringFlag(args, 'limit') ?? '20';
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new InputError(`--limit must be a whole number from 1 to 1000, not "${raw}"`);
  const conn = await openConnections(rt);
  try {
    const entries = await conn.history.list(limit);
    if (args.flags.has('json')) {
      process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
      return 0;
    }
    if (entries.length === 0) {
      process.stdout.write('No runs recorded yet.\n');
      return 0;
    }
    for (const e of entries) {
      const state = `${MARK[e.outcome] ?? '?'} ${e.outcome}`.padEnd(10);
      process.stdout.write(`${e.startedAt}  ${e.kind.padEnd(7)} ${e.label.padEnd(24)} ${state} ${e.summary}\n`);
    }
    return 0;
  } finally {
    await conn.close();
  }
}
