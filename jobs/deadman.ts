/** The dead-man processor: the repeatable check (every few minutes) and the start-up check. */
import type { Job } from 'bullmq';
import { checkDeadman, type DeadmanDeps, type DeadmanResult } from '../src/deadman/check.ts';
import { deadmanJobSchema, parseJobData, type DeadmanJobData } from '../src/queue/schemas.ts';

export function createDeadmanProcessor(deps: DeadmanDeps): (job: Job<DeadmanJobData>) => Promise<DeadmanResult> {
  return async (job) => {
    parseJobData(deadmanJobSchema, job.data, 'dead-man check');
    return checkDeadman(deps);
  };
}
