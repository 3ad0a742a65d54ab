/**
 * The docker target. Killing the local `docker exec` client does not stop the command inside the
 * container (the engine keeps it running), so the command is started through a tiny shell that
 * announces its pid (`crvs-pid:<pid>` on stderr, then `exec`s the command). Stopping it means:
 * `kill -TERM <pid>` inside the container, a bounded wait, then `kill -KILL`; it is reported
 * stopped only once `/proc/<pid>` is gone there. With `exclusive`, the shell first looks for a
 * process of the container started with the same tag (an earlier run that may still be going, even
 * from a bot that has since restarted) and refuses to start a second one.
 */
import { execFile } from 'node:child_process';
import { Transform, type TransformCallback } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { BotError } from '../errors.ts';
import { childEnv, startLocal } from './local.ts';
import type { Started } from './supervise.ts';
import type { RunOptions } from './types.ts';

/** Exit code of the wrapper when an exclusive command is already running in the container. */
const BUSY_EXIT = 75;

const WRAPPER = [
  'tag=$1; shift',
  'if [ -n "$tag" ]; then',
  '  for e in /proc/[0-9]*/environ; do',
  '    p=${e#/proc/}; p=${p%/environ}',
  '    [ "$p" = "$$" ] && continue',
  '    if { tr "\\000" "\\n" < "$e"; } 2>/dev/null | grep -qx "CRVS_EXCLUSIVE=$tag"; then echo "crvs-busy:$p" >&2; exit 75; fi',
  '  done',
  '  CRVS_EXCLUSIVE=$tag; export CRVS_EXCLUSIVE',
  'fi',
  'echo "crvs-pid:$$" >&2',
  'exec "$@"',
].join('\n');

/** Limits of the stop procedure (each `docker exec` it runs is bounded too). */
export interface DockerStopTiming {
  /** How long to wait for the pid line when a stop comes right after the start. */
  pidWaitMs: number;
  /** Wait after TERM, and again after KILL, for /proc/<pid> to go. */
  graceMs: number;
  /** Bound on each `docker exec` of the stop procedure. */
  callMs: number;
}

export const DOCKER_STOP: DockerStopTiming = { pidWaitMs: 15_000, graceMs: 10_000, callMs: 10_000 };

/** The command inside the container may still be running: it could not be confirmed stopped. */
export class StillRunningError extends BotError {
  constructor(display: string, container: string, pid: number | undefined) {
    const which = pid === undefined ? 'its process id never arrived' : `pid ${pid} is still there after TERM and KILL`;
    super('exec_still_running', `\`${display}\` was stopped locally, but it may still be running inside container ${container} (${which}). Check with \`docker exec ${container} ps\` before starting it again.`);
  }
}

/** An exclusive command is already running in the container. */
export class ExclusiveBusyError extends BotError {
  constructor(tag: string, container: string, pid: number) {
    super('exec_busy', `An earlier ${tag} is still running inside container ${container} (pid ${pid}); not starting another while it runs. Wait for it to end, or stop it (\`docker exec ${container} kill ${pid}\`), then try again.`);
  }
}

/**
 * `docker exec` argv for the wrapped command: each variable is named with `-e NAME` (no value), so
 * docker copies it from its own environment and the value never appears in a process list.
 */
export function dockerArgs(container: string, argv: string[], opts: Pick<RunOptions, 'env' | 'stdin' | 'exclusive'>): string[] {
  const names = Object.keys(opts.env ?? {}).flatMap((n) => ['-e', n]);
  return ['exec', ...(opts.stdin ? ['-i'] : []), ...names, container, 'sh', '-c', WRAPPER, 'sh', opts.exclusive ?? '', ...argv];
}

/** Strips the wrapper's announcement (`crvs-pid:N` or `crvs-busy:N`) from stderr and reports it. */
class Announce extends Transform {
  #pending: Buffer | undefined = Buffer.alloc(0);
  constructor(private readonly onLine: (line: string) => void) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.#pending === undefined) return done(null, chunk);
    let rest = Buffer.concat([this.#pending, chunk]);
    // Until the announcement is seen, whole lines are looked at one by one (others pass through).
    for (let nl = rest.indexOf(10); nl >= 0; nl = rest.indexOf(10)) {
      const line = rest.subarray(0, nl).toString('utf8');
      if (/^crvs-(pid|busy):\d+$/.test(line)) {
        this.onLine(line);
        this.#pending = undefined;
        return done(null, rest.subarray(nl + 1));
      }
      this.push(rest.subarray(0, nl + 1));
      rest = rest.subarray(nl + 1);
    }
    if (rest.length > 4096) {
      this.#pending = undefined;
      return done(null, rest);
    }
    this.#pending = rest;
    done();
  }
  override _flush(done: TransformCallback): void {
    const rest = this.#pending;
    this.#pending = undefined;
    if (rest && rest.length > 0) {
      const line = rest.toString('utf8').trim();
      if (/^crvs-(pid|busy):\d+$/.test(line)) this.onLine(line);
      else this.push(rest);
    }
    done();
  }
}

function dockerCall(args: string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('docker', args, { env: childEnv(undefined), timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** 'gone', 'alive', or undefined when the engine did not answer. */
async function probe(container: string, pid: number, t: DockerStopTiming): Promise<'gone' | 'alive' | undefined> {
  const r = await dockerCall(['exec', container, 'sh', '-c', 'if [ -d "/proc/$1" ]; then echo alive; else echo gone; fi', 'sh', String(pid)], t.callMs);
  if (r.code === 0) return r.stdout.trim() === 'alive' ? 'alive' : 'gone';
  // A stopped container has no process left in it.
  if (/is not running|No such container/i.test(r.stderr)) return 'gone';
  return undefined;
}

async function goneWithin(container: string, pid: number, ms: number, t: DockerStopTiming): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if ((await probe(container, pid, t)) === 'gone') return true;
    if (Date.now() >= deadline) return false;
    await sleep(250);
  }
}

/** Starts argv inside `container` through the wrapper; kill() stops it inside the container. */
export function startDocker(container: string, argv: string[], opts: RunOptions, display: string, timing: DockerStopTiming = DOCKER_STOP): Started {
  const local = startLocal('docker', dockerArgs(container, argv, opts), childEnv(opts.env), display, opts.stdin);
  let pid: number | undefined;
  let busy: number | undefined;
  let pidArrived: () => void = () => undefined;
  const pidKnown = new Promise<void>((r) => {
    pidArrived = r;
  });
  const stderr = local.stderr.pipe(
    new Announce((line) => {
      const n = Number(line.slice(line.indexOf(':') + 1));
      if (line.startsWith('crvs-busy:')) busy = n;
      else pid = n;
      pidArrived();
    }),
  );
  let localDone = false;
  const localExit = local.exited.finally(() => {
    localDone = true;
  });
  let stopping: Promise<boolean> | undefined;

  async function stopInside(): Promise<boolean> {
    await Promise.race([pidKnown, localExit.catch(() => undefined), sleep(timing.pidWaitMs)]);
    if (pid === undefined) return localDone;
    for (const sig of ['TERM', 'KILL']) {
      await dockerCall(['exec', container, 'kill', `-${sig}`, String(pid)], timing.callMs);
      if (await goneWithin(container, pid, timing.graceMs, timing)) return true;
    }
    return false;
  }

  const exited = (async (): Promise<number | null> => {
    const code = await localExit;
    if (stopping && !(await stopping)) throw new StillRunningError(display, container, pid);
    if (busy !== undefined && code === BUSY_EXIT) throw new ExclusiveBusyError(opts.exclusive ?? 'command', container, busy);
    return code;
  })();
  return {
    stdout: local.stdout,
    stderr,
    exited,
    kill() {
      if (stopping) return;
      stopping = stopInside().finally(() => local.kill());
    },
  };
}
