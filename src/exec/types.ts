/** Types of the exec layer: where a command runs and how it is run. */
import type { Readable, Writable } from 'node:stream';

/** Where a command runs. */
export type ExecTarget =
  | { kind: 'local' }
  /** `docker exec` into a running container, with the local docker client. */
  | { kind: 'docker'; container: string }
  /** Over SSH; `hostKey` is the pinned "SHA256:<base64>" fingerprint (undefined: every key is refused). */
  | { kind: 'ssh'; host: string; port: number; username: string; keyFile: string; hostKey: string | undefined }
  /** A pod's container through the Kubernetes API's exec subresource; kubeconfig undefined: in-cluster. */
  | { kind: 'pod'; namespace: string; pod: string; container: string | undefined; kubeconfig: string | undefined };

export interface RunOptions {
  /** Hard limit: on expiry the command is killed and run() rejects with TimeoutError. */
  timeoutMs: number;
  /**
   * Variables for the command, the only place for secrets (never put one in argv). Locally they are
   * the child's environment; over docker they travel in the docker client's environment (`-e NAME`);
   * over SSH they are written on the channel's stdin and exported by a tiny wrapper.
   */
  env?: Record<string, string>;
  /** Fed to the command's stdin; stdin is empty when absent. */
  stdin?: Readable;
  /** Receives stdout as it comes (then `stdout` of the result is ''); ended when the command ends. */
  stdout?: Writable;
  /** Aborts the command (killed like on a timeout). */
  signal?: AbortSignal;
  /**
   * A tag ([a-z0-9-]) for a command of which only one may run at a time where it runs (e.g.
   * `influxd-restore`): docker targets refuse to start it while a process started with the same tag
   * is still alive inside the container (ExclusiveBusyError). Other targets ignore it.
   */
  exclusive?: string;
  /** Told the local process id once started (local target only: supervisors and tests use it). */
  onSpawn?: (pid: number) => void;
}

export interface RunResult {
  /** Captured stdout (at most MAX_CAPTURE bytes), '' when streamed to opts.stdout. */
  stdout: string;
  /** The last STDERR_TAIL bytes of stderr. */
  stderr: string;
  code: number;
}

/** One way to run a command, wherever it runs. */
export interface Executor {
  /** Human description of the target, e.g. `local`, `docker:influxdb`, `ssh:root@10.0.0.1:22`. */
  readonly target: string;
  /** Runs argv (no shell); resolves on exit code 0, rejects with ExecError / TimeoutError / HostKeyError. */
  run(argv: string[], opts: RunOptions): Promise<RunResult>;
}

/** Largest stdout kept in memory; larger outputs must be streamed with opts.stdout. */
export const MAX_CAPTURE = 16 * 1024 * 1024;
/** How much of stderr is kept (its tail) for results and error messages. */
export const STDERR_TAIL = 64 * 1024;
