/** The PostgreSQL store adapter: see index.ts. */
import { createReadStream } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileSize, sha256File } from '../../backup/checksum.ts';
import type { Config } from '../../config.ts';
import { StoreError, VerificationError } from '../../errors.ts';
import type { Executor } from '../../exec/index.ts';
import type { Logger } from '../../log.ts';
import type { Artifact, Counts, StoreAdapter, StoreContext } from '../types.ts';
import { createPgConnection, ident, wrap } from './connection.ts';
import { countTables, dumpDatabase, dumpRoles } from './dump.ts';
import { checkDump, quickCheck, schemaStatements } from './read.ts';
import { applyRoles, rolesInFile } from './roles.ts';
import { takeBaseBackup } from '../../pitr/base-backup.ts';
import { unchangedSinceVerified } from '../../backup/identity.ts';
import { HashCounter } from '../../archive/tar-hash.ts';
import type { TocSummary } from './toc.ts';

export const FORMAT = 'pg_dump-custom';

export function postgresArtifactPath(db: string, label: string): string {
  return `postgres/${db}-${label}.dump`;
}

export function postgresRolesPath(label: string): string {
  return `postgres/roles-${label}.sql`;
}

function databaseOf(a: Artifact): string | undefined {
  const db = a.meta?.['database'];
  return typeof db === 'string' ? db : undefined;
}

function isDump(a: Artifact): boolean {
  return a.store === 'postgres' && a.path.endsWith('.dump');
}

function isRoles(a: Artifact): boolean {
  return a.store === 'postgres' && a.meta?.['format'] === 'pg_dumpall-roles';
}

/** What may reach a CREATE/DROP: the database names come from the manifest, so they are checked again. */
function safeName(db: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(db)) throw new VerificationError('set', [`the database name "${db}" in the manifest is not valid`]);
  return db;
}

export interface PostgresAdapterDeps {
  executor?: Executor;
  /** Restore each database under another name (the restore drill's scratch databases); counts stay keyed by the set's names. */
  renameDb?: (db: string) => string;
}

export function createPostgresAdapter(config: Config, logger?: Logger, deps: PostgresAdapterDeps = {}): StoreAdapter {
  const conn = createPgConnection(config, deps.executor);
  const schemas = config.postgres.restoreSchemas;
  const allSchemas = schemas.includes('*');
  const restoresSchema = (schema: string): boolean => allSchemas || schemas.includes(schema);
  const readOpts = (signal: AbortSignal): { timeoutMs: number; signal: AbortSignal } => ({ timeoutMs: config.storeTimeoutMs, signal });

  /**
   * Verify (the caller has checked the sha256) and the check before a restore (which checks the
   * sha256 itself). An archive read back in full while it was written needs only its table of
   * contents and its checksum; any other (adopted, older sets) is read in full again.
   */
  async function check(a: Artifact, ctx: StoreContext, why: 'verify' | 'restore'): Promise<{ toc: TocSummary | undefined; problems: string[] }> {
    const file = join(ctx.root, a.path);
    const expect = { path: a.path, database: databaseOf(a), counts: a.counts };
    if (why === 'restore' && ctx.verified) {
      // Verified in full moments ago (the restore job): unchanged since, and its TOC read for the plan.
      const changed = await unchangedSinceVerified(ctx.root, ctx.verified, [a]);
      if (changed.length > 0) return { toc: undefined, problems: changed.map((p) => `${p} (changed since the set was verified)`) };
      return quickCheck(conn, file, expect, readOpts(ctx.signal));
    }
    if (a.meta?.['rowsVerified'] === true) {
      if (why === 'restore') ctx.onFullRead?.(a.path);
      return quickCheck(conn, file, { ...expect, ...(why === 'restore' ? { sha256: a.sha256 } : {}) }, readOpts(ctx.signal));
    }
    if (why === 'restore') ctx.onFullRead?.(a.path);
    return checkDump(conn, file, expect, readOpts(ctx.signal));
  }

  return {
    name: 'postgres',

    async version() {
      try {
        const server = await conn.serverMajor();
        // The tools are part of "reachable": a pg_dump older than the server cannot back it up.
        const tools = await conn.checkTools(AbortSignal.timeout(config.connectTimeoutMs * 3));
        return `PostgreSQL ${server.version}; ${tools}`;
      } catch (err) {
        throw wrap(err, 'version query failed');
      }
    },

    async backup(ctx) {
      const tools = await conn.checkTools(ctx.signal);
      const server = await conn.serverMajor();
      await mkdir(join(ctx.root, 'postgres'), { recursive: true });
      const artifacts: Artifact[] = [];
      // The roles are dumped beside the databases (another connection, another core).
      const started = Date.now();
      const rolesPath = postgresRolesPath(ctx.label);
      const rolesDump = dumpRoles(conn, join(ctx.root, rolesPath), readOpts(ctx.signal));
      rolesDump.catch(() => undefined);
      for (const db of config.postgres.databases) {
        const started = Date.now();
        const path = postgresArtifactPath(db, ctx.label);
        ctx.progress({ store: 'postgres', message: `dumping database ${db}` });
        try {
          const r = await dumpDatabase(conn, db, join(ctx.root, path), readOpts(ctx.signal));
          logger?.info({ path, bytes: r.bytes, ms: Date.now() - started }, 'postgres dump written');
          artifacts.push({
            store: 'postgres',
            path,
            kind: 'file',
            bytes: r.bytes,
            sha256: r.sha256,
            counts: r.counts,
            durationMs: Date.now() - started,
            meta: { database: db, format: FORMAT, serverVersion: server.version, tools, schemas: r.schemas, owner: r.owner, rowsVerified: r.rowsVerified },
          });
        } catch (err) {
          if (ctx.signal.aborted) throw err;
          throw wrap(err, `backup of database ${db} failed`);
        }
      }
      try {
        const r = await rolesDump;
        artifacts.push({ store: 'postgres', path: rolesPath, kind: 'file', bytes: r.bytes, sha256: r.sha256, counts: {}, durationMs: Date.now() - started, meta: { format: 'pg_dumpall-roles', roles: r.roles } });
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        throw wrap(err, 'backup of the roles failed');
      }
      if (config.pitr.enabled) {
        // The starting point of point-in-time recovery (src/pitr): WAL after it is in the archive.
        ctx.progress({ store: 'postgres', message: 'base backup for point-in-time recovery' });
        try {
          artifacts.push(await takeBaseBackup(config, ctx.root, ctx.label, ctx.signal));
        } catch (err) {
          if (ctx.signal.aborted) throw err;
          throw wrap(err, 'base backup for point-in-time recovery failed');
        }
      }
      return artifacts;
    },

    async verify(artifacts, ctx) {
      const problems: string[] = [];
      for (const a of artifacts.filter(isDump)) problems.push(...(await check(a, ctx, 'verify')).problems);
      for (const a of artifacts.filter(isRoles)) {
        const roles = await rolesInFile(join(ctx.root, a.path));
        const recorded = a.meta?.['roles'];
        if (Array.isArray(recorded)) {
          for (const r of recorded) if (!roles.includes(r)) problems.push(`${a.path}: role ${r} is in the manifest but not in the file`);
        }
      }
      return problems;
    },

    async counts(): Promise<Counts> {
      const out: Counts = {};
      for (const db of config.postgres.databases) {
        try {
          Object.assign(out, await conn.withClient(db, (c) => countTables(c, db)));
        } catch (err) {
          throw wrap(err, `counting rows of ${db} failed`);
        }
      }
      return out;
    },

    expectedAfterRestore(artifacts) {
      const out: Counts = {};
      for (const a of artifacts.filter(isDump)) {
        for (const [key, n] of Object.entries(a.counts)) {
          const schema = key.split('.')[1] ?? '';
          if (restoresSchema(schema)) out[key] = n;
        }
      }
      return out;
    },

    async restore(artifacts, ctx) {
      const dumps = artifacts.filter(isDump);
      const roles = artifacts.find(isRoles);
      // Every archive is checked (its TOC and sha256, or every row when it was not read back at backup),
      // and the schemas to restore found in it, before anything is dropped.
      const problems: string[] = [];
      const tocs = new Map<Artifact, TocSummary>();
      for (const a of dumps) {
        ctx.progress({ store: 'postgres', message: `reading ${a.path}` });
        const r = await check(a, ctx, 'restore');
        problems.push(...r.problems);
        if (!r.toc) continue;
        tocs.set(a, r.toc);
        if (!allSchemas) {
          for (const s of schemas) if (!r.toc.schemas.has(s)) problems.push(`${a.path}: has no schema ${s} (POSTGRES_RESTORE_SCHEMAS)`);
        }
        if (!databaseOf(a)) problems.push(`${a.path}: the manifest does not say which database it is`);
      }
      if (problems.length > 0) throw new VerificationError(ctx.label, problems);

      if (roles) {
        const r = await conn.withClient('postgres', (c) => applyRoles(c, join(ctx.root, roles.path))).catch((err: unknown) => {
          throw wrap(err, 'creating the missing roles failed');
        });
        if (r.created.length > 0) ctx.progress({ store: 'postgres', message: `roles created: ${r.created.join(', ')}` });
        for (const w of r.warnings) logger?.warn({ warning: w }, 'postgres role membership not granted');
      }

      if (!allSchemas) {
        const others = [...new Set([...tocs.values()].flatMap((t) => [...t.schemas.keys()]))].filter((s) => !schemas.includes(s) && s !== 'public');
        if (others.length > 0) ctx.progress({ store: 'postgres', message: `restoring schema ${schemas.join(', ')} as OpenCRVS v1.9 does; ${others.join(', ')} in the set ${others.length === 1 ? 'is' : 'are'} left for OpenCRVS's migrations to rebuild (POSTGRES_RESTORE_SCHEMAS=all restores every schema)` });
      }
      const counts: Counts = {};
      for (const a of dumps) {
        const live = safeName(databaseOf(a) as string);
        const db = safeName(deps.renameDb ? deps.renameDb(live) : live);
        const toc = tocs.get(a) as TocSummary;
        const started = Date.now();
        try {
          const owner = typeof a.meta?.['owner'] === 'string' ? a.meta['owner'] : '';
          await conn.withClient('postgres', async (c) => {
            const ownerExists = owner !== '' && (await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [owner])).rowCount === 1;
            ctx.progress({ store: 'postgres', message: `dropping and creating database ${db}` });
            await c.query(`DROP DATABASE IF EXISTS ${ident(db)} WITH (FORCE)`);
            await c.query(`CREATE DATABASE ${ident(db)}${ownerExists ? ` OWNER ${ident(owner)}` : ''}`);
          });
          const args = ['--exit-on-error', '--single-transaction', '--no-password', `--dbname=${db}`];
          if (!allSchemas) {
            // As v1.9's restore.sh: the schema is created owned by its owner in the dump, then only its objects are restored.
            await conn.withClient(db, async (c) => {
              for (const s of schemas) await c.query(`CREATE SCHEMA IF NOT EXISTS ${ident(s)} AUTHORIZATION ${ident(toc.schemas.get(s) ?? config.postgres.user)}`);
            });
            for (const s of schemas) args.push(`--schema=${s}`);
          }
          ctx.progress({ store: 'postgres', message: `restoring ${a.path}` });
          // Hashed while pg_restore reads it: a file that changed since its check is reported, not ignored.
          const read = new HashCounter();
          await conn.tool('pg_restore', args, { timeoutMs: config.storeTimeoutMs, signal: ctx.signal, stdin: createReadStream(join(ctx.root, a.path)).pipe(read), database: db });
          if (read.bytes === a.bytes && read.digest() !== a.sha256) throw new StoreError('postgres', `archive changed during restore: ${a.path} no longer has the sha256 it was verified with`);
          if (!allSchemas) {
            const statements = await schemaStatements(conn, join(ctx.root, a.path), schemas, readOpts(ctx.signal));
            await conn.withClient(db, async (c) => {
              for (const sql of statements) await c.query(sql);
            });
          }
          Object.assign(counts, await conn.withClient(db, (c) => countTables(c, live, restoresSchema)));
          logger?.info({ db, ms: Date.now() - started }, 'postgres database restored');
        } catch (err) {
          if (ctx.signal.aborted) throw err;
          throw wrap(err, `restore of database ${db} failed`);
        }
      }
      return counts;
    },

    async adopt(label, ctx) {
      const dir = join(ctx.root, 'postgres');
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        return [];
      }
      const suffix = `-${label}.dump`;
      const artifacts: Artifact[] = [];
      for (const name of names.filter((n) => n.endsWith(suffix)).sort()) {
        const db = name.slice(0, -suffix.length);
        if (!/^[A-Za-z0-9_-]+$/.test(db)) continue;
        const path = `postgres/${name}`;
        const file = join(ctx.root, path);
        if ((await fileSize(file)) === undefined) continue;
        const started = Date.now();
        ctx.progress({ store: 'postgres', message: `reading ${path}` });
        const r = await checkDump(conn, file, { path, database: db, counts: undefined }, readOpts(ctx.signal));
        if (r.problems.length > 0) throw new StoreError('postgres', `${path} is not a sound pg_dump archive: ${r.problems.slice(0, 3).join('; ')}`);
        const { sha256, bytes } = await sha256File(file);
        const schemasInDump = [...(r.toc?.schemas.keys() ?? [])];
        artifacts.push({ store: 'postgres', path, kind: 'file', bytes, sha256, counts: r.rows, durationMs: Date.now() - started, meta: { database: db, format: FORMAT, schemas: schemasInDump } });
      }
      return artifacts;
    },

    async close() {
      /* clients are opened per operation and always ended */
    },
  };
}
