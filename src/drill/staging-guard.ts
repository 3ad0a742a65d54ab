/**
 * The start-up rule for staging restores without approvals. STAGING_AUTO_RESTORE=true lets a bot
 * restore production's offsite set onto its OWN live stores with no one approving, so it is only
 * accepted on a configuration that says, twice, that it is not production:
 *  - DEPLOYMENT_NAME is set and contains a word staging, qa, test, dev, demo, sandbox or uat;
 *  - SLACK_CHANNEL, when set, does not look like a production channel (contains prod or live as a word);
 *  - DRILL_SOURCE=offsite (the set comes from elsewhere; a bot restoring its own backups needs approvals).
 */
import type { Env } from '../config-schema.ts';
import { ConfigError } from '../errors.ts';

const STAGING_WORD = /(^|[^a-z])(staging|stage|qa|test|testing|dev|demo|sandbox|uat)([^a-z]|$)/i;
const PRODUCTION_WORD = /(^|[^a-z])(prod|production|live)([^a-z]|$)/i;

type StagingEnv = Pick<Env, 'STAGING_AUTO_RESTORE' | 'DEPLOYMENT_NAME' | 'SLACK_CHANNEL' | 'DRILL_SOURCE'>;

/** Throws a ConfigError naming the variable when STAGING_AUTO_RESTORE meets a production-looking configuration. */
export function assertStagingSafe(env: StagingEnv): void {
  if (!env.STAGING_AUTO_RESTORE) return;
  const name = env.DEPLOYMENT_NAME;
  if (!name) throw new ConfigError('STAGING_AUTO_RESTORE', 'is true but DEPLOYMENT_NAME is not set: name the staging deployment (it must contain staging, qa, test, dev, demo, sandbox or uat)');
  if (PRODUCTION_WORD.test(name)) throw new ConfigError('STAGING_AUTO_RESTORE', `is true on a deployment named "${name}", which looks like production: restores without approvals are refused there`);
  if (!STAGING_WORD.test(name)) throw new ConfigError('STAGING_AUTO_RESTORE', `is true but DEPLOYMENT_NAME "${name}" does not say staging, qa, test, dev, demo, sandbox or uat`);
  if (env.SLACK_CHANNEL && PRODUCTION_WORD.test(env.SLACK_CHANNEL)) {
    throw new ConfigError('STAGING_AUTO_RESTORE', `is true but SLACK_CHANNEL "${env.SLACK_CHANNEL}" looks like a production channel`);
  }
  if (env.DRILL_SOURCE !== 'offsite') throw new ConfigError('STAGING_AUTO_RESTORE', 'is true but DRILL_SOURCE is not offsite: only a restore of another deployment\'s offsite set may skip the approvals');
}
