/**
 * The platform OpenCRVS runs on, as the restore job sees it: stop and start its application
 * services, take its stack down, restart the engine, redeploy, and read the migration service's
 * tasks. Docker Swarm (swarm.ts) and Kubernetes (kubernetes.ts); every implementation passes the
 * same contract suite (test/platform/platform-contract.ts) against a real engine or API server.
 */

/** One application service and its replica count. */
export interface ServiceReplicas {
  name: string;
  replicas: number;
}

/** One task of a service, newest first: `state` as the platform says it (e.g. "Complete 3 seconds ago"). */
export interface PlatformTask {
  state: string;
  error: string;
}

/** Bounds and cancellation of a platform call that waits. */
export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called before each bounded wait begins: what is awaited, for the thread. */
  onWait?: (what: string) => Promise<void> | void;
}

/** What the restore job needs from the platform. */
export interface Platform {
  /** e.g. "Docker Swarm 20.10.24 via ssh:root@host:22". */
  readonly description: string;
  /** True when migrationState also waits for the platform's own reindex (Kubernetes' reindex Job). */
  readonly reindexWatched?: boolean;
  /** Replicated services of the stack that quiesce stops (data stores and the migration service excluded). */
  applicationServices(signal?: AbortSignal): Promise<ServiceReplicas[]>;
  /** Sets the replica counts, then waits until each service runs exactly that many tasks (0: all gone). */
  scale(services: ServiceReplicas[], opts: WaitOptions): Promise<void>;
  /** Names of the stack's services now ([] when the stack is down). */
  stackServices(signal?: AbortSignal): Promise<string[]>;
  /** Removes the stack, then waits until its services and networks are gone. */
  stackDown(opts: WaitOptions): Promise<void>;
  /**
   * The container engine's restart (Docker Swarm's); absent on platforms that have no engine to
   * restart (Kubernetes): the restore job then skips that step.
   */
  engine?: PlatformEngine;
  /** Runs the deployment's own deploy command (never one that clears data). Returns its last output lines. */
  redeploy(opts: WaitOptions): Promise<string>;
  /** Tasks of a service, newest first; undefined when the service does not exist. */
  tasks(service: string, signal?: AbortSignal): Promise<PlatformTask[] | undefined>;
  /**
   * The migrations since `since` (ms, the bot's clock) as one verdict, for platforms whose
   * migrations are not one service's tasks (Kubernetes: several hook Jobs, then the reindex Job).
   */
  migrationState?(since: number, maxFailed: number, signal?: AbortSignal): Promise<MigrationState>;
  /** The command an operator runs to start the services again by hand (named in a failure report). */
  scaleHint?(services: ServiceReplicas[]): string;
}

/** The engine a Docker Swarm node runs: its restart after a restore, and whether one happened. */
export interface PlatformEngine {
  /** How long the engine has been running (ms): tells whether a restart happened after a given moment. */
  uptimeMs(signal?: AbortSignal): Promise<number>;
  /** Restarts the engine, then waits until it answers and the node is ready. */
  restart(opts: WaitOptions): Promise<void>;
  /** Waits until the engine answers and the node is ready. */
  waitReady(opts: WaitOptions): Promise<void>;
}

/** The migration run, judged: what the watch reports (same shape as the Swarm task verdict). */
export interface MigrationState {
  kind: 'missing' | 'running' | 'complete' | 'failed' | 'loop';
  /** What runs now, named (e.g. "Job data-migration: running (1 active pod(s), 0 failed)"). */
  current: string;
  error: string;
  failedTasks: number;
  tasks: number;
}
