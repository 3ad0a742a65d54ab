/**
 * Roles on restore: the set's `pg_dumpall --roles-only --no-role-passwords` file is applied so that
 * roles the databases need and the server lacks are created (with their attributes and
 * memberships). Roles that exist are left as they are: their passwords and attributes belong to the
 * running deployment (OpenCRVS's postgres-on-update service resets them after a restore).
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type pg from 'pg';
import { splitQualified } from './toc.ts';

/** The role a statement is about, for the statements a roles dump holds. */
function roleOf(statement: string): { kind: 'create' | 'alter' | 'grant' | 'other'; role?: string; roles?: string[] } {
  const create = /^CREATE ROLE (.+);$/.exec(statement);
  if (create) return { kind: 'create', role: splitQualified(create[1] as string)[0] };
  const alter = /^(?:ALTER ROLE|COMMENT ON ROLE|SECURITY LABEL FOR \S+ ON ROLE) ("(?:[^"]|"")+"|\S+) /.exec(statement);
  if (alter) return { kind: 'alter', role: splitQualified(alter[1] as string)[0] };
  const grant = /^GRANT (\S+) TO (\S+)[ ;]/.exec(statement);
  if (grant) return { kind: 'grant', roles: [grant[1] as string, grant[2] as string].map((n) => splitQualified(n)[0] ?? n) };
  return { kind: 'other' };
}

/** Roles named by `CREATE ROLE` lines of a roles file. */
export async function rolesInFile(file: string): Promise<string[]> {
  const out: string[] = [];
  for await (const line of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })) {
    const r = roleOf(line.trim());
    if (r.kind === 'create' && r.role) out.push(r.role);
  }
  return out;
}

/** Creates the missing roles; returns those created and memberships that could not be granted. */
export async function applyRoles(c: pg.Client, file: string): Promise<{ created: string[]; warnings: string[] }> {
  const existing = new Set((await c.query<{ name: string }>('SELECT rolname AS name FROM pg_roles')).rows.map((r) => r.name));
  const created: string[] = [];
  const warnings: string[] = [];
  for await (const raw of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })) {
    const line = raw.trim();
    // Comments, SET lines and psql meta-commands (`\restrict` of pg_dumpall 17.6+) are not statements to replay.
    if (line === '' || line.startsWith('--') || line.startsWith('\\') || line.startsWith('SET ')) continue;
    if (/PASSWORD/i.test(line) && /^ALTER ROLE|^CREATE ROLE/.test(line)) continue;
    const r = roleOf(line);
    if (r.kind === 'create' && r.role && !existing.has(r.role)) {
      await c.query(line);
      existing.add(r.role);
      created.push(r.role);
    } else if (r.kind === 'alter' && r.role && created.includes(r.role)) {
      await c.query(line);
    } else if (r.kind === 'grant' && r.roles?.some((x) => created.includes(x))) {
      try {
        await c.query(line);
      } catch (err) {
        warnings.push(`${line}: ${(err as Error).message}`);
      }
    }
  }
  return { created, warnings };
}
