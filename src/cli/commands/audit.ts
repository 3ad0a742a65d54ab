/** `crvs-backup audit [--user U] [--request R] [--since ISO] [--limit N] [--json]`: the audit log. */
import { readAudit } from '../../audit/log.ts';
import { InputError } from '../../errors.ts';
import type { Runtime } from '../../runtime.ts';
import { allowOnly, stringFlag, type Args } from '../args.ts';

export const AUDIT_USAGE = 'crvs-backup audit [--user U] [--request R] [--since 2026-11-01] [--limit N] [--json]';

export async function auditCommand(rt: Runtime, args: Args): Promise<number> {
  allowOnly(args, ['user', 'request', 'since', 'limit', 'json'], AUDIT_USAGE);
  const sinceText = stringFlag(args, 'since');
  const since = sinceText ? new Date(sinceText) : undefined;
  if (since && Number.isNaN(since.getTime())) throw new InputError(`--since must be a date such as 2026-11-01, not "${sinceText}"`);
  const limitText = stringFlag(args, 'limit') ?? '100';
  const limit = Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new InputError(`--limit must be a whole number from 1 to 100000, not "${limitText}"`);
  const entries = await readAudit(rt.config.backupRoot, { since, user: stringFlag(args, 'user'), request: stringFlag(args, 'request'), limit });
  if (args.flags.has('json')) {
    process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
    return 0;
  }
  if (entries.length === 0) process.stdout.write('No audit entries match.\n');
  for (const e of entries) {
    process.stdout.write(`${e.at}  ${e.user.padEnd(12)} ${e.action}${e.request ? ` [${e.request}]` : ''} → ${e.outcome}${e.detail ? ` (${e.detail})` : ''}\n`);
  }
  return 0;
}
