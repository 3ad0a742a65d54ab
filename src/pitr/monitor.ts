/**
 * The archive's watch, once per PITR_CHECK_SECONDS:
 * - a heartbeat commit, and how far the archive is complete: everything committed up to the newest
 *   heartbeat whose WAL the slot says is archived (the receiver is synchronous: the slot's position
 *   is what is flushed in the archive). Recorded in the stream's progress.json.
 * - lag (now − complete point) beyond PITR_MAX_LAG_MINUTES: one alert per episode, one "caught up".
 * - the slot's retained WAL: a warning at 80 % of PITR_MAX_SLOT_RETAINED_MB; beyond it the slot is
 *   dropped (the database server's disk comes first) with a loud report, and a new stream begins.
 */
import type { Config } from '../config.ts';
import { userMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import { dropSlot, heartbeat, slotState, withServer, type Heartbeat } from './server.ts';
import { currentStream, parseLsn, readProgress, startNewStream, writeProgress } from './wal.ts';

export type PitrNotice = { level: 'alert' | 'warning' | 'info'; text: string };

export interface MonitorOptions {
  config: Config;
  logger: Logger;
  notify: (n: PitrNotice) => Promise<void> | void;
  now?: () => Date;
}

export interface TickResult {
  stream: string;
  completeAt: Date | undefined;
  lagMs: number;
  retainedBytes: number | undefined;
  slotDropped: boolean;
}

export interface Monitor {
  tick(): Promise<TickResult>;
}

function minutes(ms: number): string {
  const m = ms / 60_000;
  return m >= 10 ? `${Math.round(m)} min` : `${m.toFixed(1)} min`;
}

export function createMonitor(opts: MonitorOptions): Monitor {
  const { config, logger } = opts;
  const now = (): Date => opts.now?.() ?? new Date();
  let pending: Heartbeat[] = [];
  let pendingStream: string | undefined;
  let lagging = false;
  let slotWarned = false;
  /** The newest complete point of any stream: a new stream is as far behind as the archive was. */
  let lastComplete: Date | undefined;
  const startedAt = now();

  async function notify(n: PitrNotice): Promise<void> {
    try {
      await opts.notify(n);
    } catch (err) {
      logger.warn({ err: userMessage(err) }, 'pitr notice not delivered');
    }
  }

  async function protectSlot(retained: number): Promise<boolean> {
    const max = config.pitr.maxSlotRetainedBytes;
    const mb = (b: number): string => `${Math.round(b / 1024 / 1024)} MB`;
    if (retained > max) {
      const held = await dropSlot(config);
      const next = await startNewStream(config.backupRoot, now());
      slotWarned = false;
      await notify({
        level: 'alert',
        text:
          `:rotating_light: PostgreSQL point-in-time archive: the replication slot ${config.pitr.slot} held ${mb(held ?? retained)} of WAL on the database server, ` +
          `more than PITR_MAX_SLOT_RETAINED_MB (${mb(max)}), so it was DROPPED to protect the server's disk. ` +
          `WAL written while the archiver was behind is lost to point-in-time recovery; a new stream (${next}) starts now, and restoring to a moment after it needs the next base backup (tonight's, or run /backup now).`,
      });
      return true;
    }
    if (retained >= 0.8 * max && !slotWarned) {
      slotWarned = true;
      await notify({ level: 'warning', text: `:warning: PostgreSQL point-in-time archive: the replication slot ${config.pitr.slot} holds ${mb(retained)} of WAL on the database server, ${Math.round((100 * retained) / max)} % of PITR_MAX_SLOT_RETAINED_MB (${mb(max)}). Beyond it the slot is dropped to protect the server's disk. Is the archiver running?` });
    } else if (retained < 0.8 * max) {
      slotWarned = false;
    }
    return false;
  }

  async function lagCheck(stream: string, completeAt: Date | undefined): Promise<number> {
    if (completeAt && (!lastComplete || completeAt > lastComplete)) lastComplete = completeAt;
    const lagMs = now().getTime() - (completeAt ?? lastComplete ?? startedAt).getTime();
    const limit = config.pitr.maxLagMs;
    if (lagMs > limit && !lagging) {
      lagging = true;
      const since = (completeAt ?? lastComplete) ? `everything up to ${(completeAt ?? lastComplete)?.toISOString()} is archived` : 'nothing is archived in this stream yet';
      await notify({ level: 'alert', text: `:rotating_light: PostgreSQL point-in-time archive is ${minutes(lagMs)} behind (limit PITR_MAX_LAG_MINUTES = ${minutes(limit)}): ${since}. Registrations after that point could not be restored to a moment. Stream ${stream}.` });
    } else if (lagMs <= limit && lagging) {
      lagging = false;
      await notify({ level: 'info', text: `:white_check_mark: PostgreSQL point-in-time archive caught up: archived up to ${(completeAt ?? now()).toISOString()} (stream ${stream}).` });
    }
    return lagMs;
  }

  return {
    async tick() {
      const stream = await currentStream(config.backupRoot, now());
      if (stream !== pendingStream) {
        // Heartbeats of another stream say nothing about this one.
        pending = [];
        pendingStream = stream;
      }
      const progress = await readProgress(config.backupRoot, stream);
      let completeAt = progress?.completeAt ? new Date(progress.completeAt) : undefined;
      let retained: number | undefined;
      let dropped = false;
      try {
        const sample = await withServer(config, async (c) => {
          const hb = await heartbeat(c);
          return { hb, slot: await slotState(c, config.pitr.slot) };
        });
        pending.push(sample.hb);
        if (sample.slot?.restartLsn) {
          const archived = parseLsn(sample.slot.restartLsn);
          const done = pending.filter((h) => parseLsn(h.lsn) <= archived);
          pending = pending.filter((h) => parseLsn(h.lsn) > archived);
          const newest = done.at(-1);
          if (newest) {
            completeAt = newest.at;
            await writeProgress(config.backupRoot, { stream, completeAt: newest.at.toISOString(), completeLsn: newest.lsn, updatedAt: now().toISOString() });
          }
        }
        // Bounded memory when the archiver is down for long: only the oldest unarchived matter little.
        if (pending.length > 10_000) pending = pending.slice(-10_000);
        retained = sample.slot?.retainedBytes;
        if (retained !== undefined) dropped = await protectSlot(retained);
      } catch (err) {
        logger.warn({ err: userMessage(err) }, 'pitr check could not reach the server');
      }
      const lagMs = await lagCheck(stream, completeAt);
      return { stream, completeAt, lagMs, retainedBytes: retained, slotDropped: dropped };
    },
  };
}
