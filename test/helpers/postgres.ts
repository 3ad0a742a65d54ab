/** PostgreSQL helpers for tests: a superuser client and the real tools of the harness, credentials in the environment. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Config } from '../../src/config.ts';

const execFileP = promisify(execFile);

export async function pgQuery<T extends pg.QueryResultRow = pg.QueryResultRow>(config: Config, database: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const p = config.postgres;
  const c = new pg.Client({ host: p.host, port: p.port, user: p.user, password: p.password, database, connectionTimeoutMillis: 10_000 });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

/** Runs one of the harness's real PostgreSQL tools (pg_dump, pg_restore, …) against the configured server. */
export async function pgTool(config: Config, tool: string, args: string[]): Promise<string> {
  const p = config.postgres;
  const bin = p.binDir ? join(p.binDir, tool) : tool;
  const { stdout } = await execFileP(bin, args, {
    env: { ...process.env, PGHOST: p.host, PGPORT: String(p.port), PGUSER: p.user, PGPASSWORD: p.password ?? '' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** A database name no other test uses. */
export function uniqueDb(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
}
