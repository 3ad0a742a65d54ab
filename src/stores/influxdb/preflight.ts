/**
 * Checks made before `DROP DATABASE`, through the executor that will run `influxd restore`: that
 * influxd runs there, and that it sees the backup folder as the bot does (present, every file
 * readable, same sizes). BACKUP_ROOT is read by the bot on its host and by influxd on its own
 * (container, manager node); when those differ the local verification proves nothing about
 * what influxd will read.
 */
import { ExecError, StoreError } from '../../errors.ts';
import type { Executor } from '../../exec/index.ts';

/** influxd 1.x with `-portable` (1.5 and later); 2.x has no `influxd restore`. */
const VERSION_LINE = /InfluxDB v?(\d+)\.(\d+)\.(\d+)/;

/**
 * Prints `<bytes> <name>` for each readable file, `unreadable <name>` for the others; exits 3 when
 * the folder is missing. Paths are arguments ($1 the folder, then names), never part of the script.
 */
const FOLDER_CHECK = [
  'dir=$1; shift',
  '[ -d "$dir" ] || { echo "no folder $dir" >&2; exit 3; }',
  'for f do',
  '  if [ -f "$dir/$f" ] && [ -r "$dir/$f" ]; then printf "%s %s\\n" "$(wc -c < "$dir/$f" | tr -d " ")" "$f"; else printf "unreadable %s\\n" "$f"; fi',
  'done',
].join('\n');

export interface PreflightOptions {
  bin: string;
  /** The backup folder (absolute, the same path on both hosts). */
  dir: string;
  /** The files the set records, relative to dir. */
  files: Array<{ path: string; bytes: number }>;
  timeoutMs: number;
  signal: AbortSignal;
}

function failure(err: unknown): string {
  if (err instanceof ExecError) return err.stderr.trim().split('\n').slice(-3).join(' ') || `exit ${err.exitCode2 ?? 'by a signal'}`;
  return err instanceof Error ? err.message : String(err);
}

/** Throws a StoreError saying what influxd could not do on its host; returns its version line. */
export async function restorePreflight(exec: Executor, o: PreflightOptions): Promise<string> {
  const where = exec.target;
  let said: string;
  try {
    const res = await exec.run([o.bin, 'version'], { timeoutMs: o.timeoutMs, signal: o.signal });
    said = `${res.stdout}\n${res.stderr}`.trim();
  } catch (err) {
    throw new StoreError('influxdb', `influxd cannot run on ${where} (INFLUXD_BIN=${o.bin}): ${failure(err)}; nothing was dropped`, { cause: err });
  }
  const m = VERSION_LINE.exec(said);
  if (!m || Number(m[1]) !== 1 || Number(m[2]) < 5) {
    throw new StoreError('influxdb', `INFLUXD_BIN=${o.bin} on ${where} is not influxd 1.5 or later (it says: ${said.slice(0, 200) || 'nothing'}); nothing was dropped`);
  }
  let listing: string;
  try {
    listing = (await exec.run(['sh', '-c', FOLDER_CHECK, 'sh', o.dir, ...o.files.map((f) => f.path)], { timeoutMs: o.timeoutMs, signal: o.signal })).stdout;
  } catch (err) {
    throw new StoreError('influxdb', `the backup folder ${o.dir} cannot be read on ${where}: ${failure(err)} (is BACKUP_ROOT the same path where influxd runs?); nothing was dropped`, { cause: err });
  }
  const seen = new Map<string, string>();
  for (const line of listing.split('\n')) {
    const i = line.indexOf(' ');
    if (i > 0) seen.set(line.slice(i + 1), line.slice(0, i));
  }
  const problems: string[] = [];
  for (const f of o.files) {
    const got = seen.get(f.path);
    if (got === undefined || got === 'unreadable') problems.push(`${f.path}: missing or unreadable`);
    else if (Number(got) !== f.bytes) problems.push(`${f.path}: ${got} bytes there, ${f.bytes} recorded`);
  }
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; and ${problems.length - 5} more` : '');
    throw new StoreError('influxdb', `influxd on ${where} does not see the backup folder ${o.dir} as the bot does (${shown}); is BACKUP_ROOT the same path where influxd runs? Nothing was dropped`);
  }
  return m[0];
}
