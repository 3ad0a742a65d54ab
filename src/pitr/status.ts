/** What the daily report says of point-in-time recovery: base backup, the archive's lag, WAL per day. */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import { listBaseBackups } from './range.ts';
import { currentStream, isStreamName, readProgress, walRoot } from './wal.ts';

export interface PitrStatus {
  /** Label of the newest set holding a base backup. */
  newestBase: string | undefined;
  /** The set just taken holds a base backup. */
  baseInSet: boolean;
  completeAt: string | undefined;
  lagMs: number | undefined;
  /** WAL files written in the last 24 h, in bytes. */
  walBytes24h: number;
  maxLagMs: number;
}

export async function pitrStatus(config: Config, label: string | undefined, now = new Date()): Promise<PitrStatus> {
  const bases = await listBaseBackups(config.backupRoot);
  const stream = await currentStream(config.backupRoot);
  const progress = await readProgress(config.backupRoot, stream);
  let walBytes24h = 0;
  const since = now.getTime() - 24 * 3600_000;
  for (const s of (await readdir(walRoot(config.backupRoot)).catch(() => [] as string[])).filter(isStreamName)) {
    for (const name of await readdir(join(walRoot(config.backupRoot), s)).catch(() => [] as string[])) {
      if (!/^[0-9A-F]{24}$/.test(name)) continue;
      const st = await stat(join(walRoot(config.backupRoot), s, name)).catch(() => undefined);
      if (st && st.mtimeMs >= since) walBytes24h += st.size;
    }
  }
  return {
    newestBase: bases[0]?.label,
    baseInSet: label !== undefined && bases.some((b) => b.label === label),
    completeAt: progress?.completeAt,
    lagMs: progress?.completeAt ? now.getTime() - new Date(progress.completeAt).getTime() : undefined,
    walBytes24h,
    maxLagMs: config.pitr.maxLagMs,
  };
}

/** The report's line. */
export function pitrText(s: PitrStatus, bytes: (n: number) => string): string {
  const base = s.baseInSet ? ':white_check_mark: base backup in this set' : s.newestBase ? `:warning: no base backup in this set (newest: ${s.newestBase})` : ':x: no base backup yet';
  const lag = s.lagMs === undefined ? 'archive: nothing archived yet' : `archive lag ${(s.lagMs / 60_000).toFixed(1)} min${s.lagMs > s.maxLagMs ? ' :rotating_light:' : ''}`;
  return `*Point-in-time (PostgreSQL):* ${base} · ${lag} · WAL written last 24 h: ${bytes(s.walBytes24h)}`;
}
