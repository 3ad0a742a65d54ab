/**
 * `crvs-backup restore --at <moment> --yes`: PostgreSQL to the moment from its base backup and the
 * WAL archive (src/restore/pitr-step.ts), then the other stores from the nightly set taken before
 * it. Without --yes it shows the plan (what the Slack approval card shows) and changes nothing.
 */
import { userInfo } from 'node:os';
import { createAuditLog } from '../../audit/log.ts';
import { restoreSet } from '../../backup/restore-set.ts';
import { InputError, userMessage } from '../../errors.ts';
import { acquireLock } from '../../lock.ts';
import { openConnections } from '../../pipeline/in-process.ts';
import { parseMoment, showMoment } from '../../pitr/moment.ts';
import { planPitr } from '../../pitr/range.ts';
import { runPitrStep } from '../../restore/pitr-step.ts';
import type { Runtime } from '../../runtime.ts';
import type { StoreName } from '../../stores/types.ts';
import { createPrinter } from '../output.ts';
import type { RestoreOptions } from './restore.ts';

export async function restoreAtCommand(rt: Runtime, label: string, o: RestoreOptions): Promise<number> {
  const { config } = rt;
  if (label !== '') throw new InputError('Give either a set label or --at <moment>, not both: with --at the nightly set before the moment is chosen for the other stores.');
  if (!config.pitr.enabled) throw new InputError('Restoring to a moment needs point-in-time recovery (PITR_ENABLED=true, see the README).', 'pitr_disabled');
  if (!config.pitr.server) throw new InputError('Restoring to a moment needs PITR_DATA_DIR, PITR_STOP_COMMAND and PITR_START_COMMAND (see the README).', 'pitr_not_configured');
  const show = (d: Date): string => showMoment(d, config.timeZone);
  const at = parseMoment(o.at ?? '', config.timeZone);
  const plan = await planPitr(config.backupRoot, at, show);
  if (!plan.nightly) throw new InputError(`No complete nightly set was taken before ${show(at)}: the other stores would have no restore point.`, 'pitr_no_set');
  const others = ((o.stores ?? (config.stores as StoreName[])).filter((s) => s !== 'postgres' && rt.deps.adapters.has(s)));
  const planText = [
    `Restore to ${show(at)}:`,
    `  PostgreSQL: base backup of ${plan.base.label} (consistent from ${show(new Date(plan.base.consistentAt))}), WAL from segment ${plan.base.startSegment} (stream ${plan.base.stream}, archived up to ${show(new Date(plan.completeAt))}), replayed to the moment`,
    `  ${others.length > 0 ? others.join(', ') : 'no other store'}: the nightly set ${plan.nightly}, their own restore point (what they recorded after it is not brought back)`,
  ].join('\n');
  const audit = createAuditLog(config.backupRoot);
  const who = `cli:${userInfo().username}`;
  const action = `restore --at ${plan.target}`;
  if (!o.yes) {
    await audit.append({ user: who, action, outcome: 'refused', detail: 'no --yes' });
    throw new InputError(`${planText}\nRefusing without --yes: this REPLACES the current data and cannot be undone. Run: crvs-backup restore --at ${o.at ?? ''} --yes`, 'confirmation_required');
  }
  const printer = createPrinter();
  printer.line(planText);
  const conn = await openConnections(rt);
  const requestId = `cli-pitr-${Date.now().toString(36)}`;
  try {
    const lock = await acquireLock(conn.redis, `restore to ${plan.target} (cli)`, { waitMs: 0 });
    try {
      await audit.append({ user: who, action, outcome: 'started' });
      const r = await runPitrStep({ config, logger: rt.logger, redis: conn.redis, lock, show, progress: (m) => printer.line(`postgres: ${m}`) }, requestId, at);
      printer.line(`✓ postgres: restored to ${show(at)}; the old data folder is kept in ${r.asideDir}`);
      if (others.length > 0) {
        const out = await restoreSet(rt.deps, plan.nightly, { stores: others, onProgress: (p) => printer.progress(p) });
        for (const s of out.results) printer.line(`✓ ${s.store}: restored from ${plan.nightly}`);
      }
      await audit.append({ user: who, action, outcome: 'ok' });
    } catch (err) {
      await audit.append({ user: who, action, outcome: 'failed', detail: userMessage(err).slice(0, 500) });
      throw err;
    } finally {
      await lock.release();
    }
  } finally {
    await conn.close();
  }
  printer.done();
  printer.line('Restore to a moment finished. Redeploy OpenCRVS with FACTORY_RESET=no and let migrations run.');
  return 0;
}
