/**
 * Point-in-time recovery's running part, started by the bot when PITR_ENABLED: the archiver
 * (pg_receivewal, supervised), the sealer of complete WAL files (and their offsite copy), and the
 * monitor (lag, slot protection) once per PITR_CHECK_SECONDS.
 */
import type { Config } from '../config.ts';
import { userMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import { startArchiver, type Archiver, type ArchiverEvent } from './archiver.ts';
import { createMonitor, type Monitor, type PitrNotice } from './monitor.ts';
import { sealStream } from './seal.ts';
import { currentStream, streamDir } from './wal.ts';

export interface PitrServiceOptions {
  config: Config;
  logger: Logger;
  notify: (n: PitrNotice) => Promise<void> | void;
  /** Copies newly sealed WAL files offsite (stream, names); errors are retried on the next round. */
  copyOffsite?: (stream: string, names: string[]) => Promise<void>;
  restartBaseMs?: number;
  /** How often complete WAL files are sealed (default 10 s). */
  sealMs?: number;
  onArchiverEvent?: (e: ArchiverEvent) => void;
}

export interface PitrService {
  archiver: Archiver;
  monitor: Monitor;
  /** Seals (and copies offsite) now; returns the names sealed. */
  sealNow(): Promise<string[]>;
  stop(): Promise<void>;
}

export function startPitrService(opts: PitrServiceOptions): PitrService {
  const { config, logger } = opts;
  const archiver = startArchiver({ config, logger, restartBaseMs: opts.restartBaseMs, onEvent: opts.onArchiverEvent });
  const monitor = createMonitor({ config, logger, notify: opts.notify });
  const unsent: Array<{ stream: string; name: string }> = [];

  async function sealNow(): Promise<string[]> {
    const stream = await currentStream(config.backupRoot);
    const sealed = await sealStream(streamDir(config.backupRoot, stream));
    for (const name of sealed) unsent.push({ stream, name });
    if (opts.copyOffsite && unsent.length > 0) {
      const batch = unsent.splice(0, unsent.length);
      try {
        for (const s of new Set(batch.map((b) => b.stream))) await opts.copyOffsite(s, batch.filter((b) => b.stream === s).map((b) => b.name));
      } catch (err) {
        unsent.unshift(...batch);
        logger.warn({ err: userMessage(err) }, 'pitr offsite copy failed; retried on the next round');
      }
    }
    return sealed;
  }

  let busySeal = false;
  const sealTimer = setInterval(() => {
    if (busySeal) return;
    busySeal = true;
    sealNow()
      .catch((err: unknown) => logger.warn({ err: userMessage(err) }, 'pitr sealing failed'))
      .finally(() => {
        busySeal = false;
      });
  }, opts.sealMs ?? 10_000);
  let busyTick = false;
  const tickTimer = setInterval(() => {
    if (busyTick) return;
    busyTick = true;
    monitor
      .tick()
      .catch((err: unknown) => logger.warn({ err: userMessage(err) }, 'pitr check failed'))
      .finally(() => {
        busyTick = false;
      });
  }, config.pitr.checkMs);
  return {
    archiver,
    monitor,
    sealNow,
    async stop() {
      clearInterval(sealTimer);
      clearInterval(tickTimer);
      await archiver.stop();
    },
  };
}
