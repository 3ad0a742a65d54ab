/** Job data schemas: every job is parsed with zod before a processor acts on it. */
import { z } from 'zod';
import { UnrecoverableError } from 'bullmq';
import { STORE_NAMES, type StoreName } from '../stores/types.ts';

const storeName = z.enum(STORE_NAMES as [StoreName, ...StoreName[]]);
const label = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);

/** Data of a backup job: the nightly template (trigger `schedule`) or a manual request. */
export const backupJobSchema = z.object({
  trigger: z.enum(['schedule', 'manual']),
  label: label.optional(),
  stores: z.array(storeName).min(1).optional(),
  requestedBy: z.string().min(1),
  report: z.object({ channel: z.string().min(1), threadTs: z.string().min(1).optional() }).optional(),
  /** A restore drill only (src/drill), no backup. */
  drill: z.boolean().optional(),
});
export type BackupJobData = z.infer<typeof backupJobSchema>;

/** Data of a restore job (processed by jobs/restore.ts); mirrors RestoreRequest in src/core/ports.ts. */
export const restoreJobSchema = z.object({
  requestId: z.string().min(1),
  label,
  manifestSha256: z.string().regex(/^[0-9a-f]{64}$/),
  requestedBy: z.string().min(1),
  approvedBy: z.array(z.string().min(1)),
  stores: z.array(storeName).min(1).optional(),
  report: z.object({ channel: z.string().min(1), threadTs: z.string().min(1) }),
  at: z.string().datetime({ offset: true }).optional(),
});
export type RestoreJobData = z.infer<typeof restoreJobSchema>;

/** Data of a dead-man check: why it runs (the repeatable check or the start-up check). */
export const deadmanJobSchema = z.object({ reason: z.enum(['schedule', 'startup']) });
export type DeadmanJobData = z.infer<typeof deadmanJobSchema>;

/** Parses job data; bad data will never become good, so the job is not retried. */
export function parseJobData<T>(schema: z.ZodType<T>, data: unknown, what: string): T {
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UnrecoverableError(`invalid ${what} job data: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim());
  }
  return parsed.data;
}
