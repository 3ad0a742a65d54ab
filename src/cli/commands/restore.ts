/** `crvs-backup restore <label> --yes [--stores a,b]`: destructive; verified first. */
import { restoreSet } from '../../backup/restore-set.ts';
import { recordCount } from '../../stores/counts.ts';
import { InputError } from '../../errors.ts';
import type { Runtime } from '../../runtime.ts';
import { createPrinter } from '../output.ts';
import { acquireLock } from '../../lock.ts';
import { assertNoActiveRestore, clearRestoreMark, markRestoreActive } from '../../restore/active.ts';
import { openConnections } from '../../pipeline/in-process.ts';
import { createAuditLog } from '../../audit/log.ts';
import { userMessage } from '../../errors.ts';
import { userInfo } from 'node:os';
import type { StoreName } from '../../stores/types.ts';

export interface RestoreOptions {
  yes?: boolean;
  stores?: StoreName[];
  /** A moment: see restore-at.ts. */
  at?: string;
}

export async function restoreCommand(rt: Runtime, label: string, o: RestoreOptions): Promise<number> {
  const { stores } = o;
  if (label === '') throw new InputError('Name the set to restore (crvs-backup restore <label> --yes), or a moment with --at <moment>. See crvs-backup list.');
  const audit = createAuditLog(rt.config.backupRoot);
  const who = `cli:${userInfo().username}`;
  const action = `restore ${label}${stores ? ` --stores ${stores.join(',')}` : ''}`;
  if (!o.yes) {
    await audit.append({ user: who, action, outcome: 'refused', detail: 'no --yes' });
    throw new InputError(
      `Refusing to restore without --yes: a restore REPLACES all current data of ${stores?.join(', ') ?? 'every store'} with the set ${label} and cannot be undone. ` +
        `Check the set first with \`crvs-backup verify ${label}\`, then run: crvs-backup restore ${label} --yes${stores ? ` --stores ${stores.join(',')}` : ''}`,
      'confirmation_required',
    );
  }
  const printer = createPrinter();
  // The same lock as the bot's backups and restores: never restore while a backup runs.
  const conn = await openConnections(rt);
  let outcome: Awaited<ReturnType<typeof restoreSet>>;
  try {
    const lock = await acquireLock(conn.redis, `restore ${label} (cli)`, { waitMs: 0, ttlMs: rt.config.lockTtlMs, onProblem: (m) => printer.line(`warning: ${m}`) });
    if (lock.expiredPrevious) printer.line(`note: the lock of "${lock.expiredPrevious.holder}" had expired without release (its process died)`);
    // The mark is this process's from its first drop while it holds the lock; if it dies mid-way
    // the mark stays and backups and prunes are refused until a restore runs to its end.
    const markId = `cli-${lock.info.token}`;
    let touched = false;
    try {
      await assertNoActiveRestore(conn.redis, `the restore of ${label}`, { requestId: markId });
      await audit.append({ user: who, action, outcome: 'started' });
      outcome = await restoreSet(rt.deps, label, {
        stores,
        onProgress: (p) => printer.progress(p),
        fence: async (store) => {
          await lock.assertHeld(`the restore of ${store}`);
          // Marked from the first drop on (a restore refused before it leaves any earlier mark alone).
          if (!touched) await markRestoreActive(conn.redis, { kind: 'cli', requestId: markId, label });
          touched = true;
        },
      });
      await clearRestoreMark(conn.redis, markId);
      await audit.append({ user: who, action, outcome: 'ok' });
    } catch (err) {
      // After a drop the mark stays (the data may be half-restored); before one there was none of ours.
      if (touched) printer.line(`The restore of ${label} stopped after a store was replaced: backups and prunes are refused until a restore runs to its end.`);
      await audit.append({ user: who, action, outcome: 'failed', detail: userMessage(err).slice(0, 500) });
      throw err;
    } finally {
      await lock.release();
    }
  } finally {
    await conn.close();
  }
  printer.done();
  for (const r of outcome.results) {
    // An adopted (legacy) set records no counts for some stores, and a snapshot taken under writes
    // only indicative ones: nothing was compared for those, and the line says so.
    const recorded = outcome.manifest.artifacts.some((a) => a.store === r.store && Object.keys(a.counts).length > 0);
    const secs = (r.durationMs / 1000).toFixed(1);
    if (r.countsChecked) printer.line(`✓ ${r.store}: ${recordCount(r.store, r.counts)} records restored and counted in ${secs} s`);
    else if (recorded) printer.line(`✓ ${r.store}: ${recordCount(r.store, r.counts)} records restored in ${secs} s; counts not checked (the set's counts were taken under writes: indicative only)`);
    else printer.line(`✓ ${r.store}: ${recordCount(r.store, r.counts)} records restored in ${secs} s; counts not recorded (legacy set), not checked`);
  }
  printer.line(`Restore of ${label} finished. Redeploy OpenCRVS with FACTORY_RESET=no and let migrations run.`);
  return 0;
}
