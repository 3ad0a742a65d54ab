/**
 * The restore's steps on the platform OpenCRVS runs on: quiesce before the first destructive
 * step, then stack down → engine restart → redeploy → migration watch. A bot that runs on the
 * manager node is killed by the engine restart it asks for; coming back, it decides from facts
 * (how long the engine has been up, whether the stack has services) — not from a flag written
 * before the kill — so it never restarts the engine or redeploys twice.
 */
import { userMessage } from '../errors.ts';
import type { Platform, ServiceReplicas, WaitOptions } from '../platform/index.ts';
import { beginMigrationWatch, watchMigrations, type WatchResult } from './migrations.ts';
import { createMigrationReader } from './migration-sources.ts';
import { reindexStep } from './reindex-step.ts';
import { step, type Run } from './run.ts';

/** How precisely the engine's uptime is known (ps gives whole seconds). */
const UPTIME_SLACK_MS = 1500;

function replicasText(list: ServiceReplicas[]): string {
  return list.map((s) => `${s.name} ×${s.replicas}`).join(', ') || 'none';
}

function waits(run: Run, timeoutMs: number): WaitOptions {
  return { timeoutMs, signal: run.signal, onWait: (what) => run.board.refresh(what) };
}

/** Scales the stack's application services to 0, their replica counts recorded first. */
export async function quiesce(run: Run, platform: Platform): Promise<void> {
  const { cp, deps, board, signal } = run;
  const config = deps.backup.config.restore;
  await step(run, 'quiesce', async () => {
    let recorded = (await cp.meta()).quiesced;
    if (!recorded) {
      recorded = await platform.applicationServices(signal);
      // Recorded before anything is scaled: a resumed quiesce must not record the zeros as the counts.
      await cp.setMeta({ quiesced: recorded });
    }
    await run.fence('stopping OpenCRVS (quiesce)');
    await platform.scale(recorded.map((s) => ({ name: s.name, replicas: 0 })), waits(run, config.quiesceTimeoutMs));
    await board.post(`OpenCRVS is stopped for the restore: ${recorded.length} application service(s) of \`${config.stack}\` scaled to 0 (were: ${replicasText(recorded)}); the data stores keep running.`);
  });
}

/**
 * After a failure before the stack was taken down: starts the quiesced services again with their
 * recorded replica counts. Returns what the failure report says about it (undefined: nothing to say).
 */
export async function putBackAfterFailure(run: Run, platform: Platform | undefined): Promise<string | undefined> {
  const { cp, deps } = run;
  const meta = await cp.meta();
  if (!platform || !meta.quiesced || meta.quiesced.length === 0) return undefined;
  if ((await cp.step('stack-down')).state !== 'pending') return undefined;
  const list = meta.quiesced;
  if (meta.putBack) return `OpenCRVS's application services were started again: ${replicasText(list)}.`;
  try {
    // Not the job's signal: a worker that is stopping still puts OpenCRVS back before it goes.
    await platform.scale(list, { timeoutMs: deps.backup.config.restore.quiesceTimeoutMs });
    await cp.setMeta({ putBack: true });
    return `OpenCRVS's application services were started again with their replica counts: ${replicasText(list)}.`;
  } catch (err) {
    const where = platform.engine ? 'On the manager node run' : 'Run';
    const cmd = platform.scaleHint?.(list) ?? `docker service scale ${list.map((s) => `${s.name}=${s.replicas}`).join(' ')}`;
    return `OpenCRVS is still stopped: starting its application services again failed (${userMessage(err)}). ${where} \`${cmd}\`.`;
  }
}

/** Stack down, engine restart, redeploy (each once, even across a kill), then the migration watch. */
export async function redeployAndWatch(run: Run, platform: Platform): Promise<WatchResult | undefined> {
  const { deps, signal, cp, board } = run;
  const config = deps.backup.config.restore;
  await step(run, 'stack-down', async () => {
    await run.fence('taking the stack down');
    await platform.stackDown(waits(run, config.stackDownTimeoutMs));
  });

  // Kubernetes has no engine to restart: the step is skipped there.
  const engine = platform.engine;
  if (engine) {
    const restart = await cp.step('docker-restart');
    let restartedAt: number | undefined;
    if (restart.state === 'started' && restart.startedAt) {
      // A worker killed during the restart may come back while it is still under way (the engine not
      // answering, its pid file gone): the uptime is read once the engine answers again.
      await engine.waitReady(waits(run, config.stackDownTimeoutMs));
      const uptime = await engine.uptimeMs(signal);
      if (uptime <= Date.now() - restart.startedAt + UPTIME_SLACK_MS) restartedAt = Date.now() - uptime;
    }
    await step(run, 'docker-restart', async () => {
      if (restartedAt === undefined) {
        await run.fence('restarting Docker');
        return engine.restart(waits(run, config.stackDownTimeoutMs));
      }
      await board.post(`Docker was restarted at ${new Date(restartedAt).toISOString().slice(11, 19)} UTC, after this step began (the restart also stopped this bot): not restarting it again.`);
      await engine.waitReady(waits(run, config.stackDownTimeoutMs));
    });
  }

  // Mongo changelogs, and PostgreSQL's app.pgmigrations when the profile has it (v1.9+).
  const changelog = deps.changelog ?? createMigrationReader(deps.backup.config);
  try {
    const deployRec = await cp.step('deploy');
    const present = deployRec.state === 'started' ? await platform.stackServices(signal) : [];
    await step(run, 'deploy', async () => {
      if (present.length > 0) {
        await board.post(`The stack \`${config.stack}\` already has its ${present.length} services: the redeploy ran before the worker stopped, so it is not run again.`);
        return;
      }
      // The baseline of "applied since the restore" is taken before the migration service can run.
      await beginMigrationWatch({ checkpoint: cp, changelog, logger: deps.backup.logger });
      await run.fence('redeploying OpenCRVS');
      await platform.redeploy(waits(run, config.deployTimeoutMs));
    });
    const watched = await step(run, 'migrations', () =>
      watchMigrations({ platform, config, changelog, poster: deps.poster, checkpoint: cp, logger: deps.backup.logger, signal, startGraceMs: deps.migrationStartGraceMs }),
    );
    // v1.9+: the search indices are rebuilt from PostgreSQL once the migrations are done.
    // Kubernetes runs its own reindex Job, which the migration watch already waited for.
    if (config.reindex.enabled && !platform.reindexWatched) await step(run, 'reindex', () => reindexStep(run));
    return watched;
  } finally {
    if (!deps.changelog) await changelog.close().catch(() => undefined);
  }
}
