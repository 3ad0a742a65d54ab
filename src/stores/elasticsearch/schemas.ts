/** Zod schemas for the parts of Elasticsearch answers the adapter uses (7.17 and 8.x shapes). */
import { z } from 'zod';

/** GET / */
export const rootInfoSchema = z.object({
  version: z.object({ number: z.string().regex(/^\d+\.\d+/) }),
});

export const snapshotStateSchema = z.enum(['IN_PROGRESS', 'SUCCESS', 'FAILED', 'PARTIAL', 'INCOMPATIBLE']);
export type SnapshotState = z.infer<typeof snapshotStateSchema>;

/** One entry of GET _snapshot/<repo>/<name>. */
export const snapshotInfoSchema = z.object({
  snapshot: z.string(),
  uuid: z.string(),
  state: snapshotStateSchema.or(z.string()),
  /** The version that took it (see compat.ts): release id up to 8.10, index version after. */
  version_id: z.number().int().optional(),
  version: z.string().optional(),
  indices: z.array(z.string()).default([]),
  reason: z.string().optional(),
  failures: z.array(z.object({ index: z.string().optional(), reason: z.string().optional() }).passthrough()).default([]),
});
export type SnapshotInfo = z.infer<typeof snapshotInfoSchema>;

export const snapshotListSchema = z.object({ snapshots: z.array(snapshotInfoSchema).default([]) });

/** GET _snapshot/<repo>: { <repo>: { type, settings: { location } } } */
export const repositoriesSchema = z.record(
  z.object({
    type: z.string(),
    settings: z.object({ location: z.string().optional() }).passthrough().default({}),
  }),
);


export const countSchema = z.object({ count: z.number().int().nonnegative() });

/** GET _cluster/health/<indices> */
export const healthSchema = z.object({ status: z.string(), timed_out: z.boolean() });

/** GET <indices>/_recovery?active_only=true: an empty object (or empty shard lists) when done. */
export const recoverySchema = z.record(z.object({ shards: z.array(z.object({ stage: z.string() }).passthrough()) }));

/** GET <patterns>/_settings/index.uuid: an object keyed by index name. */
export const settingsByIndexSchema = z.record(z.unknown());
