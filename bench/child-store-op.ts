/**
 * Runs one operation in its own process and prints one JSON line with the duration, bytes and
 * this process's peak RSS, so the parent can compare scales.
 * Usage: tsx bench/child-store-op.ts backup|verify|restore|mongo-load <stores> [label]
 *   backup      a backup of the stores (runBackup)
 *   verify      the verification of a set (verifySet: sizes, sha256, every archive parsed)
 *   restore     a whole restore as the CLI runs it (restoreSet: verification, then each store)
 *   mongo-load  MongoDB only, the load as the adapter does it (two archives at once), with the
 *               adapter's own structural read before it timed apart (`verifyMs`) and the load's steps in `phases`
 */
import { join } from 'node:path';
import { loadConfig, type Config } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { createRuntime } from '../src/runtime.ts';
import { runBackup } from '../src/backup/run-backup.ts';
import { restoreSet } from '../src/backup/restore-set.ts';
import { verifySet } from '../src/backup/verify-set.ts';
import { readManifest } from '../src/backup/manifest.ts';
import { mapLimit } from '../src/parallel.ts';
import { connectMongo } from '../src/stores/mongo/client.ts';
import { scanArchive } from '../src/stores/mongo/archive-scan.ts';
import { restoreArchive, type RestorePhase } from '../src/stores/mongo/restore.ts';
import { insertMode } from '../src/stores/mongo/raw-insert.ts';
import type { StoreName } from '../src/stores/types.ts';
import { startMemSampler } from './mem-sampler.ts';
import { withNodeFlags } from '../bin/node-flags.js';

/** The adapter's concurrency (src/stores/mongo/index.ts: PARALLEL_ARCHIVES). */
const PARALLEL_ARCHIVES = 2;

async function mongoLoad(config: Config, label: string): Promise<{ verifyMs: number; phases: Partial<Record<RestorePhase, number>> }> {
  const read = await readManifest(config.backupRoot, label);
  if (!read) throw new Error(`no manifest for ${label}`);
  const artifacts = read.manifest.artifacts.filter((a) => a.store === 'mongo');
  const signal = new AbortController().signal;
  const verifyStarted = performance.now();
  const summaries = await mapLimit(artifacts, PARALLEL_ARCHIVES, async (a) => {
    const s = await scanArchive(join(config.backupRoot, a.path), { decodeDocuments: true, signal });
    if (s.problems.length > 0) throw new Error(`${a.path}: ${s.problems.join('; ')}`);
    return s;
  });
  const verifyMs = performance.now() - verifyStarted;
  const client = await connectMongo({ url: config.mongo.url, connectTimeoutMs: config.connectTimeoutMs, operationTimeoutMs: config.storeTimeoutMs });
  // Summed over archives: with two loading at once, the sum exceeds the wall-clock time.
  const phases: Partial<Record<RestorePhase, number>> = {};
  try {
    await mapLimit(artifacts, PARALLEL_ARCHIVES, async (a, i) => {
      const database = a.meta?.['database'];
      await restoreArchive(client, join(config.backupRoot, a.path), summaries[i]!, {
        signal,
        ...(typeof database === 'string' ? { databases: [database] } : {}),
        onPhase: (p, ms) => {
          phases[p] = (phases[p] ?? 0) + ms;
        },
      });
    });
  } finally {
    await client.close();
  }
  return { verifyMs, phases };
}

async function main(): Promise<void> {
  // The parent passes them (NODE_FLAGS); run by hand, the child restarts itself with them like the bot.
  withNodeFlags();
  const [op, storesArg, labelArg] = process.argv.slice(2);
  const stores = (storesArg ?? 'mongo').split(',') as StoreName[];
  const config = loadConfig({ ...process.env, BACKUP_STORES: stores.join(',') });
  const rt = createRuntime(config, createLogger('silent'));
  // After the modules are loaded: `mem.start` is the process before the operation, `mem.peak` at its highest RSS.
  const sampler = startMemSampler();
  let bytes = 0;
  let label = labelArg ?? '';
  let extra: Record<string, unknown> = {};
  // The load starts after the adapter's own read: `ms` is the load alone, `verifyMs` that read.
  let started = performance.now();
  if (op === 'backup') {
    const out = await runBackup(rt.deps, { requestedBy: 'bench', label: labelArg });
    if (!out.ok) throw new Error(`backup failed: ${out.manifest.stores.map((s) => s.error).join('; ')}`);
    bytes = out.manifest.artifacts.reduce((n, a) => n + a.bytes, 0);
    label = out.manifest.label;
  } else if (op === 'verify') {
    const v = await verifySet(rt.deps, label);
    if (v.problems.length > 0) throw new Error(`verification failed: ${v.problems.join('; ')}`);
  } else if (op === 'restore') {
    await restoreSet(rt.deps, label);
  } else if (op === 'mongo-load') {
    const r = await mongoLoad(config, label);
    started += r.verifyMs;
    extra = { verifyMs: r.verifyMs, phases: r.phases, insertMode };
  } else {
    throw new Error(`unknown operation ${op ?? ''}`);
  }
  const ms = performance.now() - started;
  const mem = sampler.stop();
  await rt.close();
  const node = { execArgv: process.execArgv.filter((a) => a.startsWith('--max')), flags: process.env['CRVS_NODE_FLAGS'] ?? '', nodeOptions: process.env['NODE_OPTIONS'] ?? '', malloc: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('MALLOC_'))) };
  process.stdout.write(`${JSON.stringify({ op, stores, label, ms, bytes, maxRssKiB: process.resourceUsage().maxRSS, mem, node, ...extra })}\n`);
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
