/** Puts work on the queues with deterministic job ids, so a repeated request never makes a second job. */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { BackupRequest, RestoreRequest } from '../core/ports.ts';
import type { Queues } from './queues.ts';
import { backupJobSchema, restoreJobSchema, type BackupJobData } from './schemas.ts';

/**
 * The job id of a manual backup request: the same request (same person, label, stores and Slack
 * thread) gives the same id. Without a thread or label, requests within the same minute are one.
 */
export function backupJobId(req: BackupRequest, now: Date): string {
  const parts = [req.requestedBy, req.label ?? '', (req.stores ?? []).join(','), req.report?.channel ?? '', req.report?.threadTs ?? ''];
  if (!req.report?.threadTs && !req.label) parts.push(now.toISOString().slice(0, 16));
  if (req.drill) return `drill-${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 24)}`;
  return `backup-${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 24)}`;
}

export async function enqueueBackup(queues: Queues, req: BackupRequest, now: Date = new Date()): Promise<{ jobId: string }> {
  const data: BackupJobData = backupJobSchema.parse({
    trigger: 'manual',
    label: req.label,
    stores: req.stores,
    requestedBy: req.requestedBy,
    report: req.report,
    ...(req.drill ? { drill: true } : {}),
  });
  const jobId = backupJobId(req, now);
  await queues.backup.add('manual', data, { jobId });
  return { jobId };
}

/** Job ids may not contain ':' (BullMQ's key separator). */
export function restoreJobId(requestId: string): string {
  return `restore-${requestId.replace(/[^A-Za-z0-9._-]/g, '_')}`;
}

/**
 * Enqueues a restore once per request id. `created` is decided atomically in Redis, so any number
 * of approvals arriving at once enqueue one job and exactly one caller sees created=true.
 */
export async function enqueueRestore(queues: Queues, redis: Redis, req: RestoreRequest): Promise<{ jobId: string; created: boolean }> {
  const data = restoreJobSchema.parse(req);
  const jobId = restoreJobId(req.requestId);
  const marker = `${queues.prefix}:restore-request:${jobId}`;
  const first = await redis.set(marker, new Date().toISOString(), 'EX', 30 * 24 * 3600, 'NX');
  await queues.restore.add('restore', data, { jobId });
  return { jobId, created: first === 'OK' };
}
