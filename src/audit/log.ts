/**
 * Append-only audit log of every command and decision: one JSON line per entry in
 * BACKUP_ROOT/audit/audit.jsonl. Each entry is one `appendFile` (O_APPEND), so concurrent
 * writers (bot and CLI) never interleave lines. Nothing here rewrites or truncates the file.
 */
import { createReadStream } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { redactText } from '../redact.ts';

export const auditEntrySchema = z.object({
  at: z.string(),
  /** Slack user id, `cli`, `schedule` or `system` (expiry). */
  user: z.string(),
  /** What was asked, e.g. `/backup 2026-11-26`, `approve restore-…`. */
  action: z.string(),
  /** The request it concerns (restore request id, job id), when there is one. */
  request: z.string().optional(),
  outcome: z.string(),
  detail: z.string().optional(),
});

export type AuditEntry = z.infer<typeof auditEntrySchema>;

const MAX_ACTION = 300;
const MAX_DETAIL = 2000;

function bounded(text: string, max: number): string {
  const clean = redactText(text);
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** Where the log lives for a given backup root. */
export function auditFile(backupRoot: string): string {
  return join(backupRoot, 'audit', 'audit.jsonl');
}

/** The writer the Slack surface (and CLI) use. */
export interface AuditLog {
  append(entry: Omit<AuditEntry, 'at'> & { at?: string }): Promise<void>;
}

/** An audit log writing under `backupRoot`. */
export function createAuditLog(backupRoot: string): AuditLog {
  const file = auditFile(backupRoot);
  let ready: Promise<unknown> | undefined;
  return {
    async append(entry) {
      ready ??= mkdir(join(backupRoot, 'audit'), { recursive: true, mode: 0o750 });
      await ready;
      // What users typed and what errors said are scrubbed and bounded: the log is kept for years and read by many.
      const full: AuditEntry = auditEntrySchema.parse({
        ...entry,
        action: bounded(entry.action, MAX_ACTION),
        detail: entry.detail === undefined ? undefined : bounded(entry.detail, MAX_DETAIL),
        at: entry.at ?? new Date().toISOString(),
      });
      // Newlines inside fields are escaped by JSON.stringify, so one entry is always one line.
      await appendFile(file, `${JSON.stringify(full)}\n`, { mode: 0o640 });
    },
  };
}

export interface ReadAuditOptions {
  /** Only entries at or after this time. */
  since?: Date;
  /** Only this user's entries. */
  user?: string;
  /** Only entries about this request. */
  request?: string;
  /** The last N matching entries (default 100). */
  limit?: number;
}

/**
 * Reads the log line by line (streamed) and returns the last `limit` matching entries, oldest
 * first. A missing file is an empty log; a damaged line is skipped, not fatal.
 */
export async function readAudit(backupRoot: string, opts: ReadAuditOptions = {}): Promise<AuditEntry[]> {
  const limit = opts.limit ?? 100;
  const out: AuditEntry[] = [];
  const stream = createReadStream(auditFile(backupRoot), { encoding: 'utf8' });
  const opened = await new Promise<boolean>((resolve) => {
    stream.once('open', () => resolve(true));
    stream.once('error', () => resolve(false));
  });
  if (!opened) return [];
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const parsed = safeParse(line);
    if (!parsed || !matches(parsed, opts)) continue;
    out.push(parsed);
    if (out.length > limit) out.shift();
  }
  return out;
}

function safeParse(line: string): AuditEntry | undefined {
  try {
    const r = auditEntrySchema.safeParse(JSON.parse(line));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

function matches(e: AuditEntry, opts: ReadAuditOptions): boolean {
  if (opts.since && new Date(e.at).getTime() < opts.since.getTime()) return false;
  if (opts.user && e.user !== opts.user) return false;
  if (opts.request && e.request !== opts.request) return false;
  return true;
}
