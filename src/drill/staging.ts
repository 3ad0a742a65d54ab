/**
 * A staging bot's scheduled restore (DRILL_SOURCE=offsite): production's newest complete set is
 * pulled from the backup server (checksums checked on arrival, decrypted with the offsite key),
 * verified here, and handed to the same restore job as `/restore` — quiesce, restore, redeploy,
 * migrations — with its thread in staging's channel. Without STAGING_AUTO_RESTORE=true it stops
 * short of the restore and asks for one through `/restore` (the usual two approvals). The start-up
 * rule in staging-guard.ts keeps STAGING_AUTO_RESTORE away from production-looking configurations.
 */
import type { BackupDeps } from '../backup/deps.ts';
import { withTimeout } from '../backup/deps.ts';
import { readManifest } from '../backup/manifest.ts';
import { verifySet } from '../backup/verify-set.ts';
import type { RestoreRequest } from '../core/ports.ts';
import { decryptSet, loadOffsiteKey } from '../crypto/index.ts';
import { userMessage } from '../errors.ts';
import { listRemoteSets, pullSet } from '../offsite/index.ts';
import type { SlackChat } from '../report/poster.ts';
import { oncallMention } from '../report/format.ts';

export interface StagingDeps {
  backup: BackupDeps;
  /** The core's enqueueRestore (one job per request id). */
  enqueueRestore: (req: RestoreRequest) => Promise<{ jobId: string; created: boolean }>;
  slack: SlackChat | undefined;
  channel: string | undefined;
  /** Bound on listing and pulling from the backup server. */
  offsiteTimeoutMs: number;
}

export interface StagingOutcome {
  outcome: 'queued' | 'awaiting-approval' | 'failed';
  label?: string;
  jobId?: string;
  reason?: string;
}

async function say(deps: StagingDeps, text: string): Promise<string | undefined> {
  if (!deps.slack || !deps.channel) {
    deps.backup.logger.info({ text }, 'staging restore');
    return undefined;
  }
  const posted = await deps.slack.chat.postMessage({ channel: deps.channel, text });
  return posted.ts;
}

/** Pulls, verifies and restores (or asks for a restore of) production's newest offsite set. Never throws. */
export async function stagingRestore(deps: StagingDeps, signal?: AbortSignal): Promise<StagingOutcome> {
  const { config } = deps.backup;
  const fail = async (reason: string, label?: string): Promise<StagingOutcome> => {
    await say(deps, `:rotating_light: ${oncallMention(config.slack.oncallGroup)} Staging restore from production's offsite copy did not run: ${reason}`.replace(':rotating_light:  ', ':rotating_light: ')).catch(() => undefined);
    return { outcome: 'failed', reason, ...(label ? { label } : {}) };
  };
  try {
    if (!config.backupServer) return await fail('no backup server is configured (BACKUP_SERVER_HOST …): DRILL_SOURCE=offsite reads production\'s sets there');
    const sets = await withTimeout('listing the backup server', deps.offsiteTimeoutMs, signal, () => listRemoteSets(config), { graceMs: 0 });
    const newest = sets.filter((s) => s.complete).sort((a, b) => b.storedAt - a.storedAt)[0];
    if (!newest) return await fail('the backup server holds no complete set');
    const label = newest.label;
    const pulled = await withTimeout(`pulling ${label}`, deps.offsiteTimeoutMs, signal, () => pullSet({ config, label }));
    if (pulled.encrypted) {
      const key = loadOffsiteKey(config);
      if (!key) return await fail(`${label} is encrypted and no OFFSITE_ENCRYPTION_KEY_FILE / OFFSITE_ENCRYPTION_KEY is set`, label);
      await decryptSet({ root: config.backupRoot, label, key });
    }
    const verified = await verifySet(deps.backup, label, signal ? { signal } : {});
    const read = await readManifest(config.backupRoot, label);
    if (verified.problems.length > 0 || !read) return await fail(`${label} failed verification here: ${verified.problems[0] ?? 'no manifest'}`, label);
    if (!config.env.STAGING_AUTO_RESTORE) {
      await say(deps, `Production's set ${label} was pulled and verified on staging. To restore it onto staging's stores, use \`/restore ${label}\` (two approvals; STAGING_AUTO_RESTORE is not set).`);
      return { outcome: 'awaiting-approval', label };
    }
    const threadTs = await say(deps, `:arrows_counterclockwise: Staging restore of production's set ${label} (pulled and verified; STAGING_AUTO_RESTORE=true on ${config.env.DEPLOYMENT_NAME ?? 'this deployment'}, no approvals): quiesce, restore, redeploy, migrations — progress in the thread.`);
    if (!deps.channel || !threadTs) return await fail('an automatic staging restore reports in SLACK_CHANNEL, and none could be posted to', label);
    const requestId = `staging-${label}-${read.sha256.slice(0, 12)}`;
    const { jobId } = await deps.enqueueRestore({
      requestId,
      label,
      manifestSha256: read.sha256,
      requestedBy: 'staging schedule',
      approvedBy: ['STAGING_AUTO_RESTORE'],
      report: { channel: deps.channel, threadTs },
    });
    return { outcome: 'queued', label, jobId };
  } catch (err) {
    return fail(userMessage(err));
  }
}
