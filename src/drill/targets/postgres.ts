/**
 * PostgreSQL scratch target: each database dump of the set is restored by the adapter's own restore
 * as `drill_<db>` on the same server (the role file is left out: roles are the cluster's, shared
 * with the live databases), rows per table are compared with the counts the set recorded, and the
 * scratch database is dropped.
 */
import type { Config } from '../../config.ts';
import { userMessage } from '../../errors.ts';
import { createPgConnection, ident } from '../../stores/postgres/connection.ts';
import { createPostgresAdapter } from '../../stores/postgres/adapter.ts';
import { countMismatches } from '../../backup/restore-set.ts';
import { recordCount } from '../../stores/counts.ts';
import type { Artifact } from '../../stores/types.ts';
import { scratchName } from '../scratch-names.ts';
import type { DrillContext, DrillTarget } from '../types.ts';

export function createPostgresTarget(config: Config): DrillTarget {
  const live = config.postgres.databases;
  const scratchOf = (db: string): string => scratchName('postgres', db, live);
  const conn = createPgConnection(config);
  const drop = (db: string): Promise<unknown> => conn.withClient('postgres', (c) => c.query(`DROP DATABASE IF EXISTS ${ident(db)} WITH (FORCE)`));
  return {
    store: 'postgres',
    checkNames() {
      for (const db of live) scratchOf(db);
    },
    neededBytes(artifacts, factor) {
      // A custom-format dump is compressed: the database is assumed five times its size.
      return artifacts.reduce((n, a) => n + a.bytes * 5, 0) * factor;
    },
    space: async () => undefined,
    async removeLeftovers() {
      const present = await conn.withClient('postgres', async (c) => (await c.query<{ datname: string }>('SELECT datname FROM pg_database')).rows.map((r) => r.datname));
      const removed: string[] = [];
      for (const db of live) {
        const name = scratchOf(db);
        if (!present.includes(name)) continue;
        await drop(name);
        removed.push(`postgres ${name}`);
      }
      return removed;
    },
    async drill(artifacts: Artifact[], ctx: DrillContext) {
      const dumps = artifacts.filter((a) => a.path.endsWith('.dump'));
      const adapter = createPostgresAdapter(config, undefined, { renameDb: scratchOf });
      const scratch = dumps.map((a) => a.meta?.['database']).filter((d): d is string => typeof d === 'string').map(scratchOf);
      const bytes = dumps.reduce((n, a) => n + a.bytes, 0);
      try {
        const counts = await adapter.restore(dumps, { label: ctx.label, root: ctx.root, signal: ctx.signal, progress: () => undefined });
        const expected = adapter.expectedAfterRestore?.(dumps) ?? {};
        const diff = countMismatches(expected, counts)[0];
        if (diff) return { ok: false, records: recordCount('postgres', counts), bytes, compared: 'counts' as const, difference: diff };
        return { ok: true, records: recordCount('postgres', counts), bytes, compared: 'counts' as const };
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        let text = userMessage(err);
        for (const [i, s] of scratch.entries()) text = text.replaceAll(s, `${s} (scratch of ${String(dumps[i]?.meta?.['database'])})`);
        return { ok: false, records: 0, bytes, compared: 'counts' as const, difference: text };
      } finally {
        for (const s of scratch) await drop(s).catch(() => undefined);
        await adapter.close();
      }
    },
    close: async () => undefined,
  };
}
