/**
 * The restore job's last step on v1.9+: OpenCRVS's search reindex after the migrations, with its
 * progress in the thread. Through the auth and events services (REINDEX_AUTH_URL/_EVENTS_URL) or,
 * when REINDEX_COMMAND is set, that command on the manager node. A resumed job runs it again: a
 * reindex rebuilds the search indices from PostgreSQL, it never deletes records.
 */
import { createExecutor } from '../exec/index.ts';
import { ConfigError } from '../errors.ts';
import { runReindex } from './reindex.ts';
import type { Run } from './run.ts';
import { formatDuration } from './summary.ts';

export async function reindexStep(run: Run): Promise<void> {
  const { config } = run.deps.backup;
  const cfg = config.restore.reindex;
  const started = Date.now();
  if (cfg.command) {
    if (!config.manager) throw new ConfigError('MANAGER_HOST', 'is required to run REINDEX_COMMAND on the manager node');
    await run.board.post(`Reindex: running \`REINDEX_COMMAND\` on the manager node (at most ${formatDuration(cfg.timeoutMs)}).`);
    await createExecutor({ kind: 'ssh', ...config.manager }).run(['sh', '-c', cfg.command], { timeoutMs: cfg.timeoutMs, signal: run.signal });
    await run.board.post(`Reindex: done in ${formatDuration(Date.now() - started)}.`);
    return;
  }
  const r = await runReindex({
    authUrl: cfg.authUrl,
    eventsUrl: cfg.eventsUrl,
    timeoutMs: cfg.timeoutMs,
    pollMs: config.restore.migrationPollMs,
    requestTimeoutMs: config.connectTimeoutMs,
    signal: run.signal,
    onProgress: (p) =>
      run.board.refreshSoon(p.status === 'waiting' ? 'Reindex: waiting for the auth service to answer' : `Reindex: running — ${p.processed.toLocaleString('en')} documents so far`),
  });
  await run.board.post(`Reindex: done — ${r.processed.toLocaleString('en')} documents indexed in ${formatDuration(r.ms)}.`);
}
