/** The exec layer: one way to run a command locally, in a container, or over SSH. */
export { createExecutor, targetFromSetting } from './executor.ts';
export { quoteArg, quoteArgv, describeCommand } from './quote.ts';
export { fingerprint } from './host-key.ts';
export { HostKeyError } from './errors.ts';
export type { ExecTarget, Executor, RunOptions, RunResult } from './types.ts';
export { MAX_CAPTURE, STDERR_TAIL } from './types.ts';
export { dockerArgs, ExclusiveBusyError, StillRunningError } from './docker.ts';
