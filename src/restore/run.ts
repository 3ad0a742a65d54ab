/** One run of a restore job, and the checkpointed step that every stage of it goes through. */
import type { RestoreRequest } from '../core/ports.ts';
import type { HeldLock } from '../lock.ts';
import type { RestoreJobDeps } from './restore-job.ts';
import type { RestoreCheckpoint, StepName } from './checkpoint.ts';
import type { StatusBoard } from './status-board.ts';
import { stepTitle } from './summary.ts';
import { InterruptedError } from './wait.ts';

export interface Run {
  deps: RestoreJobDeps;
  req: RestoreRequest;
  cp: RestoreCheckpoint;
  board: StatusBoard;
  signal: AbortSignal | undefined;
  /** Checks that the operations lock is still this job's, right before the destructive step `before` (LockLostError otherwise). */
  fence: (before: string) => Promise<void>;
  /** The operations lock the job holds (the restore to a moment fences its phases with it). */
  lock?: HeldLock;
}

/** Runs `fn` as a checkpointed step: skipped when done, announced when resumed. */
export async function step<T>(run: Run, name: StepName, fn: () => Promise<T>): Promise<T | undefined> {
  if ((await run.cp.step(name)).state === 'done') return undefined;
  if (run.signal?.aborted) throw new InterruptedError(stepTitle(name));
  const { previous } = await run.cp.start(name);
  if (previous === 'started' || previous === 'failed') {
    await run.board.post(`Resumed "${stepTitle(name)}" after a worker restart.`);
  }
  await run.board.refresh();
  const result = await fn();
  await run.cp.done(name);
  await run.board.refresh();
  return result;
}
