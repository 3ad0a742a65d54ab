/**
 * The line of a failed restore's report that says what state the deployment is in and what to do
 * next: an operator reading the thread at night must know first whether OpenCRVS is running.
 */
import type { StepName } from './checkpoint.ts';

/** '' when nothing was changed (the report already says so). */
export function afterFailure(step: StepName | undefined, refused: boolean, quiesced = false): string {
  if (refused || step === undefined || step === 'verify' || step === 'verify-full' || step === 'safety-backup' || step === 'quiesce') return '';
  if (step.startsWith('restore:') && quiesced) {
    return 'OpenCRVS was stopped for the restore (see above whether its services run again) on the stores as listed above, restored or not. Restore the safety backup to undo, or fix the cause and request the restore again.';
  }
  if (step.startsWith('restore:')) {
    return 'OpenCRVS was not stopped: it is running on the stores as listed above, restored or not. Restore the safety backup to undo, or fix the cause and request the restore again.';
  }
  if (step === 'stack-down' || step === 'docker-restart' || step === 'deploy') {
    return 'Every store holds the restored data, but OpenCRVS may not be running: its stack was being taken down, restarted or redeployed. On the manager node, check `docker stack ls` and redeploy by hand with FACTORY_RESET=no.';
  }
  return 'OpenCRVS was redeployed on the restored data, but its migrations did not finish: check the migration service and its logs on the manager node before users come back.';
}
