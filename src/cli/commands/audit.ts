/** `crvs-backup audit [--user U] [--request R] [--since ISO] [--limit N] [--json]`: the audit log. */
import { readAudit } from '../../audit/log.ts';
import type { Runtime } from '../../runtime.ts';

export interface AuditOptions {
  user?: string;
  request?: string;
  since?: Date;
  limit: number;
  json?: boolean;
}

export async function auditCommand(rt: Runtime, o: AuditOptions): Promise<number> {
  const entries = await readAudit(rt.config.backupRoot, { since: o.since, user: o.user, request: o.request, limit: o.limit });
  if (o.json) {
    process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
    return 0;
  }
  if (entries.length === 0) process.stdout.write('No audit entries match.\n');
  for (const e of entries) {
    process.stdout.write(`${e.at}  ${e.user.padEnd(12)} ${e.action}${e.request ? ` [${e.request}]` : ''} → ${e.outcome}${e.detail ? ` (${e.detail})` : ''}\n`);
  }
  return 0;
}
