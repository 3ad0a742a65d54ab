/**
 * The guard of the runbook's redeploy: the deployment's own commands (REDEPLOY_COMMAND,
 * DOCKER_RESTART_COMMAND) must never clear the data a restore just put back. The redeploy itself
 * runs through the Platform (src/platform/).
 */
import type { RestoreConfig } from '../config.ts';
import { BotError } from '../errors.ts';
import { dataClearingReason } from './deploy-guard.ts';

/** The redeploy command would wipe the restored data: never run it. */
export class DeployRefusedError extends BotError {
  constructor(variable: string, why: string) {
    super('deploy_refused', `Refused to run ${variable}: it ${why}, which would wipe the restored data. Fix ${variable} (the deploy must use FACTORY_RESET=no).`);
  }
}

/** Throws DeployRefusedError when either configured command would clear data. */
export function assertSafeRedeploy(config: Pick<RestoreConfig, 'deployCommand' | 'dockerRestartCommand'>): void {
  const deploy = dataClearingReason(config.deployCommand);
  if (deploy) throw new DeployRefusedError('REDEPLOY_COMMAND', deploy);
  const restart = dataClearingReason(config.dockerRestartCommand);
  if (restart) throw new DeployRefusedError('DOCKER_RESTART_COMMAND', restart);
}
