/**
 * The WAL archiver: `pg_receivewal --synchronous` through the replication slot PITR_SLOT into the
 * current stream's folder, supervised. When it exits it is started again after a pause of 1 s that
 * doubles up to PITR_RESTART_MAX_SECONDS (back to 1 s after a run of a minute or more). Before each
 * start the slot is prepared (created, or freed from the stale walsender of a killed receiver).
 * The password travels in the child's environment (PGPASSWORD), never in its arguments.
 */
import { join } from 'node:path';
import type { Config } from '../config.ts';
import { userMessage } from '../errors.ts';
import { createExecutor, type Executor } from '../exec/index.ts';
import type { Logger } from '../log.ts';
import { prepareSlot } from './server.ts';
import { currentStream, streamDir } from './wal.ts';

export interface ArchiverOptions {
  config: Config;
  logger: Logger;
  /** Default: local (pg_receivewal writes into the backup root, which is on this machine). */
  executor?: Executor;
  /** The first pause after an exit (default 1 s); it doubles up to config.pitr.restartMaxMs. */
  restartBaseMs?: number;
  /** Told about each start and exit (logs, tests). */
  onEvent?: (e: ArchiverEvent) => void;
}

export type ArchiverEvent =
  | { kind: 'started'; stream: string; run: number; terminatedWalsender: number | undefined }
  | { kind: 'spawned'; run: number; pid: number }
  | { kind: 'exited'; stream: string; run: number; error: string; nextStartMs: number };

export interface Archiver {
  /** Number of times pg_receivewal was started. */
  readonly runs: number;
  readonly running: boolean;
  stop(): Promise<void>;
}

/** A run this long counts as healthy: the next pause starts again from the base. */
const HEALTHY_RUN_MS = 60_000;
/** pg_receivewal is restarted at the latest after this (the exec layer bounds every command). */
const RUN_LIMIT_MS = 7 * 24 * 3600_000;

export function startArchiver(opts: ArchiverOptions): Archiver {
  const { config, logger } = opts;
  const exec = opts.executor ?? createExecutor({ kind: 'local' });
  const base = opts.restartBaseMs ?? 1000;
  const controller = new AbortController();
  let runs = 0;
  let running = false;
  let wake: (() => void) | undefined;

  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });

  function env(): Record<string, string> {
    const p = config.postgres;
    const out: Record<string, string> = { PGHOST: p.host, PGPORT: String(p.port), PGUSER: config.pitr.replicationUser, PGAPPNAME: `crvs-backup-pitr`, PGCONNECT_TIMEOUT: String(Math.max(1, Math.round(config.connectTimeoutMs / 1000))) };
    if (config.pitr.replicationPassword !== undefined) out['PGPASSWORD'] = config.pitr.replicationPassword;
    return out;
  }

  async function loop(): Promise<void> {
    let delay = base;
    while (!controller.signal.aborted) {
      let stream = '?';
      const started = Date.now();
      try {
        stream = await currentStream(config.backupRoot);
        const slot = await prepareSlot(config, { waitMs: 30_000 });
        if (controller.signal.aborted) break;
        runs += 1;
        running = true;
        opts.onEvent?.({ kind: 'started', stream, run: runs, terminatedWalsender: slot.terminated });
        logger.info({ stream, run: runs, slotCreated: slot.created, terminatedWalsender: slot.terminated }, 'pitr archiver started');
        const bin = config.postgres.binDir ? join(config.postgres.binDir, 'pg_receivewal') : 'pg_receivewal';
        await exec.run([bin, '-D', streamDir(config.backupRoot, stream), `--slot=${config.pitr.slot}`, '--synchronous', '--no-loop', '--no-password', '--status-interval=10'], {
          timeoutMs: RUN_LIMIT_MS,
          env: env(),
          signal: controller.signal,
          onSpawn: (pid) => opts.onEvent?.({ kind: 'spawned', run: runs, pid }),
        });
        throw new Error('pg_receivewal exited');
      } catch (err) {
        running = false;
        if (controller.signal.aborted) break;
        if (Date.now() - started >= HEALTHY_RUN_MS) delay = base;
        const error = userMessage(err);
        opts.onEvent?.({ kind: 'exited', stream, run: runs, error, nextStartMs: delay });
        logger.warn({ stream, error, nextStartMs: delay }, 'pitr archiver stopped; starting it again');
        await pause(delay);
        delay = Math.min(delay * 2, Math.max(base, config.pitr.restartMaxMs));
      }
    }
    running = false;
  }

  const done = loop();
  return {
    get runs() {
      return runs;
    },
    get running() {
      return running;
    },
    async stop() {
      controller.abort();
      wake?.();
      await done;
    },
  };
}
