/**
 * The SQL the archiver and the monitor run on the database server (as POSTGRES_URL's superuser):
 * the replication slot, the stale walsender that may still hold it, the heartbeat and positions.
 */
import type { Config } from '../config.ts';
import { newPgClient } from '../stores/postgres/index.ts';
import { reason } from '../stores/postgres/connection.ts';
import { StoreError } from '../errors.ts';
import type pg from 'pg';

export interface SlotState {
  active: boolean;
  activePid: number | undefined;
  restartLsn: string | undefined;
  /** Bytes of WAL the slot holds back on the server. */
  retainedBytes: number;
}

export async function withServer<T>(config: Config, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = newPgClient(config, 'postgres', Math.max(config.connectTimeoutMs * 3, 30_000));
  try {
    await c.connect();
  } catch (err) {
    await c.end().catch(() => undefined);
    throw new StoreError('postgres', `cannot reach PostgreSQL at ${config.postgres.host}:${config.postgres.port}: ${reason(err)}`, { cause: err });
  }
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

export async function slotState(c: pg.Client, slot: string): Promise<SlotState | undefined> {
  const r = await c.query<{ active: boolean; active_pid: number | null; restart_lsn: string | null; retained: string | null }>(
    `SELECT active, active_pid, restart_lsn::text,
            pg_wal_lsn_diff(pg_current_wal_insert_lsn(), restart_lsn)::text AS retained
       FROM pg_replication_slots WHERE slot_name = $1`,
    [slot],
  );
  const row = r.rows[0];
  if (!row) return undefined;
  return { active: row.active, activePid: row.active_pid ?? undefined, restartLsn: row.restart_lsn ?? undefined, retainedBytes: Math.max(0, Number(row.retained ?? 0)) };
}

/**
 * Makes the slot ready for a new pg_receivewal: created (reserving WAL from now) when missing, and
 * freed when a walsender still holds it. A receiver that was killed leaves its walsender behind until
 * the server notices the dead connection ("replication slot … is active for PID …"); only our own
 * receiver uses the slot, and it is not running now, so that holder is stale and is ended.
 */
export async function prepareSlot(config: Config, opts: { waitMs: number; pollMs?: number }): Promise<{ created: boolean; terminated: number | undefined }> {
  const slot = config.pitr.slot;
  return withServer(config, async (c) => {
    let state = await slotState(c, slot);
    if (!state) {
      await c.query('SELECT pg_create_physical_replication_slot($1, true)', [slot]);
      return { created: true, terminated: undefined };
    }
    const terminated = state.activePid;
    if (terminated !== undefined) await c.query('SELECT pg_terminate_backend($1)', [terminated]);
    const deadline = Date.now() + opts.waitMs;
    while (state?.active) {
      if (Date.now() > deadline) throw new StoreError('postgres', `the replication slot ${slot} is still held by server process ${state.activePid ?? '?'} ${Math.round(opts.waitMs / 1000)} s after it was told to end`);
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 200));
      state = await slotState(c, slot);
    }
    return { created: false, terminated };
  });
}

/** Drops the slot (ending the walsender holding it first). Returns the WAL it held, in bytes. */
export async function dropSlot(config: Config): Promise<number | undefined> {
  const slot = config.pitr.slot;
  return withServer(config, async (c) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const state = await slotState(c, slot);
      if (!state) return undefined;
      if (state.activePid !== undefined) await c.query('SELECT pg_terminate_backend($1)', [state.activePid]);
      try {
        await c.query('SELECT pg_drop_replication_slot($1)', [slot]);
        return state.retainedBytes;
      } catch (err) {
        // The terminated walsender may not have released it yet.
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  });
}

export interface Heartbeat {
  /** The server's time of the heartbeat transaction. */
  at: Date;
  /** The WAL insert position just after its commit. */
  lsn: string;
}

/**
 * A tiny committed transaction: a commit record with a timestamp in the WAL, so that a quiet server
 * still gives recovery a record past any moment up to now (recovery to a time stops at the first
 * commit after it), and so that the archive's completeness advances.
 */
export async function heartbeat(c: pg.Client): Promise<Heartbeat> {
  const r = await c.query<{ at: Date }>('SELECT pg_current_xact_id(), now() AS at');
  const p = await c.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
  const at = r.rows[0]?.at;
  const lsn = p.rows[0]?.lsn;
  if (!at || !lsn) throw new StoreError('postgres', 'the heartbeat returned no position');
  return { at, lsn };
}
