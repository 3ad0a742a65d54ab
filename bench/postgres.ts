/**
 * PostgreSQL benchmark (not a test): the bot's backup and restore of an OpenCRVS-shaped `events`
 * database against the real pg_dump / pg_restore of the same PostgreSQL 17, in the same run, at
 * two scales, on the services of `npm run services -- up`. Each of the bot's operations runs in
 * its own process (bench/child-store-op.ts), which reports its peak RSS.
 *
 *   npx tsx bench/postgres.ts [--scales 1,10] [--json]
 *
 * Like for like: pg_dump -Fc of the database vs the bot's backup (counts in the dump's snapshot,
 * pg_dump, sha256, roles) and, separately, its verification (sha256 + every row read back);
 * dropdb/createdb + pg_restore of every schema vs the bot's restore with POSTGRES_RESTORE_SCHEMAS=all
 * (which reads the archive in full before the drop, then counts every table after).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig, type Config } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { createRuntime } from '../src/runtime.ts';
import { verifySet } from '../src/backup/verify-set.ts';
import { servicesEnv } from '../scripts/services/harness.ts';
import { seedPostgres } from '../scripts/seed/postgres.ts';
import type { MemSample } from './mem-sampler.ts';
import { MALLOC_SETTINGS, NODE_FLAGS } from '../bin/node-flags.js';
import { memLine } from './stores.ts';

const run = promisify(execFile);
/** The bot's V8 flags and malloc settings (bin/node-flags.js) for each child; none with CRVS_NODE_FLAGS=none (inherited: the child does not add them either). */
const nodeFlags = (): string[] => (process.env['CRVS_NODE_FLAGS'] === 'none' ? [] : NODE_FLAGS);
const mallocEnv = (): Record<string, string> => (process.env['CRVS_NODE_FLAGS'] === 'none' ? {} : MALLOC_SETTINGS);
const ROOT = join(import.meta.dirname, '..');
const DB = 'bench_events';

interface OpResult {
  ms: number;
  bytes: number;
  maxRssKiB: number;
  label: string;
  mem?: { start: MemSample; peak: MemSample; samples: number };
}

async function child(env: Record<string, string>, op: 'backup' | 'restore', label?: string): Promise<OpResult> {
  const args = [...nodeFlags(), '--import', 'tsx', join(ROOT, 'bench', 'child-store-op.ts'), op, 'postgres', ...(label ? [label] : [])];
  const { stdout } = await run(process.execPath, args, { env: { ...mallocEnv(), ...process.env, ...env }, maxBuffer: 1 << 20, timeout: 3_600_000 });
  const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as OpResult;
  if (result.mem) process.stderr.write(`  postgres ${op}: ${memLine(result.maxRssKiB, result.mem)}\n`);
  return result;
}

function tool(config: Config, name: string, args: string[]): Promise<unknown> {
  const p = config.postgres;
  return run(join(p.binDir ?? '', name), args, {
    env: { ...process.env, PGHOST: p.host, PGPORT: String(p.port), PGUSER: p.user, PGPASSWORD: p.password ?? '' },
    timeout: 3_600_000,
    maxBuffer: 1 << 20,
  });
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

export interface PgBenchRow {
  scale: number;
  rows: number;
  dumpBytes: number;
  pgDumpMs: number;
  backupMs: number;
  verifyMs: number;
  pgRestoreMs: number;
  restoreMs: number;
  backupRssMiB: number;
  restoreRssMiB: number;
}

export async function benchPostgres(scales: number[]): Promise<PgBenchRow[]> {
  const base = servicesEnv();
  const out: PgBenchRow[] = [];
  for (const scale of scales) {
    const root = mkdtempSync(join(base['BACKUP_ROOT'] ?? '/tmp', 'bench-pg-'));
    const env = { ...base, BACKUP_ROOT: root, LOG_LEVEL: 'silent', BACKUP_SERVER_HOST: '', OPENCRVS_VERSION: 'v1.9', POSTGRES_DATABASES: DB, POSTGRES_RESTORE_SCHEMAS: 'all' };
    const config = loadConfig(env);
    const seeded = await seedPostgres(config, { scale, seed: 11 });
    const rows = Object.values(seeded).reduce((n, v) => n + v, 0);

    const refFile = join(root, 'reference.dump');
    const pgDumpMs = await timed(() => tool(config, 'pg_dump', ['-Fc', '-d', DB, '-f', refFile]));
    const backup = await child(env, 'backup');
    const rt = createRuntime(config, createLogger('silent'));
    const verifyMs = await timed(async () => {
      const r = await verifySet(rt.deps, backup.label);
      if (r.problems.length > 0) throw new Error(r.problems.join('; '));
    });
    await rt.close();

    const pgRestoreMs = await timed(async () => {
      await tool(config, 'dropdb', ['--force', DB]);
      await tool(config, 'createdb', [DB]);
      await tool(config, 'pg_restore', ['-d', DB, refFile]);
    });
    const restore = await child(env, 'restore', backup.label);
    out.push({
      scale,
      rows,
      dumpBytes: statSync(refFile).size,
      pgDumpMs,
      backupMs: backup.ms,
      verifyMs,
      pgRestoreMs,
      restoreMs: restore.ms,
      backupRssMiB: backup.maxRssKiB / 1024,
      restoreRssMiB: restore.maxRssKiB / 1024,
    });
    await tool(config, 'dropdb', ['--force', DB]);
    rmSync(root, { recursive: true, force: true });
  }
  return out;
}

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

export function postgresTable(rows: PgBenchRow[]): string {
  const lines = rows.map(
    (r) =>
      `| ${r.scale} | ${r.rows.toLocaleString('en')} rows, ${(r.dumpBytes / 1e6).toFixed(1)} MB dump | pg_dump ${s(r.pgDumpMs)} | ${s(r.backupMs)} + verify ${s(r.verifyMs)} | **${(r.pgDumpMs / r.backupMs).toFixed(2)}** (with verify ${(r.pgDumpMs / (r.backupMs + r.verifyMs)).toFixed(2)}) | pg_restore ${s(r.pgRestoreMs)} | ${s(r.restoreMs)} | **${(r.pgRestoreMs / r.restoreMs).toFixed(2)}** | ${r.backupRssMiB.toFixed(0)} / ${r.restoreRssMiB.toFixed(0)} MiB |`,
  );
  return `| scale | data | reference backup | bot backup | ratio | reference restore | bot restore | ratio | peak RSS backup / restore |\n|---|---|---|---|---|---|---|---|---|\n${lines.join('\n')}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--scales');
  const scales = (i > 0 ? (process.argv[i + 1] ?? '') : '1,10').split(',').map(Number);
  benchPostgres(scales).then(
    (rows) => {
      process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(rows)}\n` : postgresTable(rows));
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
