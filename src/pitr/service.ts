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
import { appendFile, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isWalFile } from './seal.ts';

/** Names of the WAL files of a stream already copied offsite, one a line. */
const SENT_JOURNAL = 'offsite-sent';

/** Sealed WAL files of `dir` not yet in its offsite journal, oldest first. */
export async function unsentFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  const sent = new Set((await readFile(join(dir, SENT_JOURNAL), 'utf8').catch(() => '')).split('\n'));
  return names
    .filter((n) => n.endsWith('.sha256'))
    .map((n) => n.slice(0, -7))
    .filter((n) => isWalFile(n) && !sent.has(n))
    .sort();
}

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
  async function sealNow(): Promise<string[]> {
    const stream = await currentStream(config.backupRoot);
    const dir = streamDir(config.backupRoot, stream);
    const sealed = await sealStream(dir);
    if (opts.copyOffsite) {
      // What went offsite is journalled beside the WAL: a bot restarted after an outage sends the rest.
      const pending = await unsentFiles(dir);
      if (pending.length > 0) {
        try {
          await opts.copyOffsite(stream, pending);
          await appendFile(join(dir, SENT_JOURNAL), pending.map((n) => `${n}\n`).join(''));
        } catch (err) {
          logger.warn({ err: userMessage(err) }, 'pitr offsite copy failed; retried on the next round');
        }
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
