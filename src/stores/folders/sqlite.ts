/**
 * MOSIP's sqlite file, copied as sqlite itself recommends for a live database: the sqlite3 shell's
 * `.backup` (the online backup API), never a plain file copy that could catch a write half-done.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { StoreError } from '../../errors.ts';

const execFileP = promisify(execFile);

/** A path the sqlite3 shell's dot-commands can take quoted. */
export function assertSqlitePath(path: string): void {
  if (/['"\n\r\\]/.test(path)) throw new StoreError('folders', `the sqlite path ${JSON.stringify(path)} holds a quote or newline, which the sqlite3 shell cannot take`);
}

async function sqlite3(args: string[], timeoutMs: number, signal: AbortSignal): Promise<string> {
  try {
    const { stdout } = await execFileP('sqlite3', args, { timeout: timeoutMs, signal, maxBuffer: 1 << 20 });
    return stdout;
  } catch (err) {
    const e = err as { code?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') throw new StoreError('folders', 'the sqlite3 shell is not installed (apt-get install sqlite3)');
    throw new StoreError('folders', `sqlite3 failed: ${(e.stderr ?? e.message).trim().slice(0, 300)}`);
  }
}

export async function backupSqlite(source: string, target: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
  assertSqlitePath(target);
  await sqlite3(['-readonly', source, `.backup '${target}'`], timeoutMs, signal);
}

/** `PRAGMA integrity_check` says "ok", and the number of tables. */
export async function checkSqlite(file: string, timeoutMs: number, signal: AbortSignal): Promise<{ ok: boolean; detail: string; tables: number }> {
  const integrity = (await sqlite3(['-readonly', file, 'PRAGMA integrity_check;'], timeoutMs, signal)).trim();
  const tables = Number((await sqlite3(['-readonly', file, "SELECT count(*) FROM sqlite_master WHERE type = 'table';"], timeoutMs, signal)).trim());
  return { ok: integrity === 'ok', detail: integrity.split('\n').slice(0, 3).join('; '), tables };
}
