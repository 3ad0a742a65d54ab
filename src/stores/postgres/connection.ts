/**
 * How the PostgreSQL store reaches the server: a `pg` client for SQL (counts, drop, create, roles),
 * and pg_dump / pg_restore / pg_dumpall through the exec layer (locally, in the server's container,
 * or on the manager node). Credentials travel in the tools' environment (PGPASSWORD), never in argv.
 */
import { join } from 'node:path';
import pg from 'pg';
import type { Config, PostgresConfig } from '../../config.ts';
import { BotError, ExecError, StoreError } from '../../errors.ts';
import { createExecutor, targetFromSetting, type Executor, type RunOptions, type RunResult } from '../../exec/index.ts';
import { redactText } from '../../redact.ts';

/** A short reason from a driver or tool error, without credentials. */
export function reason(err: unknown): string {
  if (err instanceof BotError) return err.message;
  const message = err instanceof Error ? err.message : String(err);
  return redactText(message).split('\n')[0]?.slice(0, 300) ?? 'unknown error';
}

export function wrap(err: unknown, what: string): BotError {
  if (err instanceof BotError) return err;
  return new StoreError('postgres', `${what}: ${reason(err)}`, { cause: err });
}

/** A double-quoted SQL identifier. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * A `pg` client for `database` on the configured server, every wait bounded (connect by
 * CONNECT_TIMEOUT_SECONDS, each query by `queryTimeoutMs`). The caller connects and ends it. A
 * server that goes away mid-query emits 'error' on the client: the query itself rejects with it.
 */
export function newPgClient(config: Config, database: string, queryTimeoutMs = config.storeTimeoutMs): pg.Client {
  const p = config.postgres;
  const c = new pg.Client({ host: p.host, port: p.port, user: p.user, password: p.password, database, application_name: 'crvs-backup-bot', connectionTimeoutMillis: config.connectTimeoutMs, query_timeout: queryTimeoutMs });
  c.on('error', () => undefined);
  return c;
}

export interface PgConnection {
  /** A connected client on `database` (the caller ends it). Bounded by CONNECT_TIMEOUT_SECONDS. */
  client(database: string): Promise<pg.Client>;
  /** Runs fn with a client on `database`, always ending it. */
  withClient<T>(database: string, fn: (c: pg.Client) => Promise<T>): Promise<T>;
  /** Runs a tool (pg_dump, pg_restore, pg_dumpall, psql) where POSTGRES_EXEC says. */
  tool(name: string, args: string[], opts: Omit<RunOptions, 'env'> & { database?: string }): Promise<RunResult>;
  /** The major version of the server, e.g. 17. */
  serverMajor(): Promise<{ major: number; version: string }>;
  /** Refuses (StoreError) when the tools are older than the server: pg_dump refuses such a server anyway. */
  checkTools(signal: AbortSignal): Promise<string>;
  readonly target: string;
}

export function createPgConnection(config: Config, executor?: Executor): PgConnection {
  const pgc: PostgresConfig = config.postgres;
  let exec = executor;
  const run = (): Executor => {
    exec ??= createExecutor(targetFromSetting(pgc.exec, config.manager, 'POSTGRES_EXEC', config.restore.kube.kubeconfig));
    return exec;
  };
  let toolsChecked: string | undefined;

  async function client(database: string): Promise<pg.Client> {
    const c = newPgClient(config, database);
    try {
      await c.connect();
      return c;
    } catch (err) {
      await c.end().catch(() => undefined);
      throw new StoreError('postgres', `cannot reach PostgreSQL at ${pgc.host}:${pgc.port} (database ${database}) within ${Math.round(config.connectTimeoutMs / 1000)} s: ${reason(err)}`, { cause: err });
    }
  }

  async function withClient<T>(database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const c = await client(database);
    try {
      return await fn(c);
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  function env(database: string | undefined): Record<string, string> {
    const out: Record<string, string> = {
      PGHOST: pgc.toolsHost,
      PGPORT: String(pgc.toolsPort),
      PGUSER: pgc.user,
      PGDATABASE: database ?? 'postgres',
      PGCONNECT_TIMEOUT: String(Math.max(1, Math.round(config.connectTimeoutMs / 1000))),
      PGAPPNAME: 'crvs-backup-bot',
    };
    if (pgc.password !== undefined) out['PGPASSWORD'] = pgc.password;
    return out;
  }

  async function tool(name: string, args: string[], opts: Omit<RunOptions, 'env'> & { database?: string }): Promise<RunResult> {
    const bin = pgc.binDir ? join(pgc.binDir, name) : name;
    const { database, ...rest } = opts;
    try {
      return await run().run([bin, ...args], { ...rest, env: env(database) });
    } catch (err) {
      if (err instanceof ExecError) throw new StoreError('postgres', `${name} failed: ${err.stderr.trim().split('\n').slice(-3).join(' ') || err.message}`, { cause: err });
      throw err;
    }
  }

  async function serverMajor(): Promise<{ major: number; version: string }> {
    return withClient('postgres', async (c) => {
      const r = await c.query<{ server_version_num: string; server_version: string }>('SELECT current_setting($1) AS server_version_num, current_setting($2) AS server_version', ['server_version_num', 'server_version']);
      const row = r.rows[0];
      if (!row) throw new StoreError('postgres', 'the server did not report its version');
      return { major: Math.floor(Number(row.server_version_num) / 10000), version: row.server_version };
    });
  }

  async function checkTools(signal: AbortSignal): Promise<string> {
    if (toolsChecked) return toolsChecked;
    const server = await serverMajor();
    const out = await tool('pg_dump', ['--version'], { timeoutMs: config.connectTimeoutMs + 30_000, signal });
    const m = /(\d+)(?:\.(\d+))?/.exec(out.stdout);
    const toolMajor = Number(m?.[1] ?? 0);
    if (toolMajor < server.major) {
      throw new StoreError(
        'postgres',
        `pg_dump ${m?.[0] ?? '?'} (${run().target}) is older than the server (PostgreSQL ${server.version}) and cannot dump it: run the tools of the server's version — POSTGRES_EXEC=docker:<the postgres container> or PG_BIN_DIR`,
      );
    }
    toolsChecked = `pg_dump ${m?.[0] ?? '?'} on ${run().target}`;
    return toolsChecked;
  }

  return {
    client,
    withClient,
    tool,
    serverMajor,
    checkTools,
    get target() {
      return run().target;
    },
  };
}
