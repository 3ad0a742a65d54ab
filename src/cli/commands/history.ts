/** `crvs-backup history [--limit N] [--json]`: the outcome of every recent run, newest first. */
import { openConnections } from '../../pipeline/in-process.ts';
import type { Runtime } from '../../runtime.ts';

export interface HistoryOptions {
  limit: number;
  json?: boolean;
}

const MARK: Record<string, string> = { ok: '✓', partial: '✗', failed: '✗', skipped: '✗', running: '…' };

export async function historyCommand(rt: Runtime, o: HistoryOptions): Promise<number> {
  const conn = await openConnections(rt);
  try {
    const entries = await conn.history.list(o.limit);
    if (o.json) {
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
