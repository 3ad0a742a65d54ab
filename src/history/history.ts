/**
 * Every run's outcome, kept in Redis: a list of run ids (newest first, bounded) and a hash of
 * entries. A run is recorded when it starts (`running`) and updated when it ends, so a run cut
 * short by a crash stays visible.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { HistoryEntry } from '../core/ports.ts';

export const DEFAULT_HISTORY_LIMIT = 200;

const entrySchema = z.object({
  id: z.string(),
  kind: z.enum(['backup', 'restore', 'drill']),
  label: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  outcome: z.enum(['ok', 'partial', 'failed', 'running', 'skipped']),
  summary: z.string(),
});

/** A stored entry: HistoryEntry plus `skipped` (a backup that did not run because the lock was held). */
export type StoredHistoryEntry = z.infer<typeof entrySchema>;

export interface HistoryStore {
  /** Adds or replaces the entry with this id; a new id goes to the front. */
  record(entry: StoredHistoryEntry): Promise<void>;
  list(limit: number): Promise<StoredHistoryEntry[]>;
}

/** `prefix` separates deployments (and tests) sharing one Redis. */
export function createHistoryStore(redis: Redis, prefix: string, maxEntries = DEFAULT_HISTORY_LIMIT): HistoryStore {
  const listKey = `${prefix}:history:ids`;
  const hashKey = `${prefix}:history:entries`;
  return {
    async record(entry) {
      const fresh = await redis.hset(hashKey, entry.id, JSON.stringify(entrySchema.parse(entry)));
      if (fresh === 0) return;
      await redis.lpush(listKey, entry.id);
      const dropped = await redis.lrange(listKey, maxEntries, -1);
      if (dropped.length === 0) return;
      await redis.multi().ltrim(listKey, 0, maxEntries - 1).hdel(hashKey, ...dropped).exec();
    },
    async list(limit) {
      const ids = await redis.lrange(listKey, 0, Math.max(0, limit - 1));
      if (ids.length === 0) return [];
      const raw = await redis.hmget(hashKey, ...ids);
      const out: StoredHistoryEntry[] = [];
      for (const text of raw) {
        if (!text) continue;
        const parsed = entrySchema.safeParse(JSON.parse(text));
        if (parsed.success) out.push(parsed.data);
      }
      return out;
    },
  };
}

/** The port's view of an entry (a skipped run counts as failed: no backup was made). */
export function toPortEntry(e: StoredHistoryEntry): HistoryEntry {
  const { finishedAt, ...rest } = e;
  const outcome = e.outcome === 'skipped' ? 'failed' : e.outcome;
  return { ...rest, finishedAt, outcome, summary: e.outcome === 'skipped' ? `skipped: ${e.summary}` : e.summary };
}
