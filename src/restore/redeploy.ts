/**
 * The runbook's redeploy after a restore, on the manager node over SSH: take the stack down, wait
 * until Swarm has removed its services, restart Docker, redeploy with FACTORY_RESET=no. The
 * deployment rotates database secrets, which is why the runbook insists on it.
 */
import { Writable } from 'node:stream';
import type { RestoreConfig } from '../config.ts';
import { BotError } from '../errors.ts';
import type { Executor } from '../exec/index.ts';
import { dataClearingReason } from './deploy-guard.ts';
import { pollUntil } from './wait.ts';

/** The redeploy command would wipe the restored data: never run it. */
export class DeployRefusedError extends BotError {
  constructor(variable: string, why: string) {
    super('deploy_refused', `Refused to run ${variable}: it ${why}, which would wipe the restored data. Fix ${variable} (the deploy must use FACTORY_RESET=no).`);
  }
}

export interface RedeployContext {
  exec: Executor;
  config: RestoreConfig;
  signal?: AbortSignal;
  /** Pause between polls of the stack and of the Docker daemon. */
  pollMs?: number;
}

/** Short commands (stack down, service ls, docker info) must answer within this. */
const COMMAND_TIMEOUT_MS = 120_000;
const DEFAULT_POLL_MS = 2000;

/** Throws DeployRefusedError when either configured command would clear data. */
export function assertSafeRedeploy(config: RestoreConfig): void {
  const deploy = dataClearingReason(config.deployCommand);
  if (deploy) throw new DeployRefusedError('REDEPLOY_COMMAND', deploy);
  const restart = dataClearingReason(config.dockerRestartCommand);
  if (restart) throw new DeployRefusedError('DOCKER_RESTART_COMMAND', restart);
}

/** `docker stack down`, then waits (bounded) until no service of the stack is left. */
export async function stackDown(ctx: RedeployContext): Promise<void> {
  const { exec, config, signal } = ctx;
  await exec.run(['docker', 'stack', 'down', config.stack], { timeoutMs: COMMAND_TIMEOUT_MS, signal });
  await pollUntil(`Removing the services of stack ${config.stack}`, config.stackDownTimeoutMs, ctx.pollMs ?? DEFAULT_POLL_MS, signal, async () => {
    const res = await exec.run(['docker', 'service', 'ls', '--filter', `label=com.docker.stack.namespace=${config.stack}`, '-q'], { timeoutMs: COMMAND_TIMEOUT_MS, signal });
    return res.stdout.trim() === '';
  });
}

/** Restarts the Docker daemon, then waits (bounded) until it answers again. */
export async function restartDocker(ctx: RedeployContext): Promise<void> {
  const { exec, config, signal } = ctx;
  assertSafeRedeploy(config);
  await exec.run(['sh', '-c', config.dockerRestartCommand], { timeoutMs: config.stackDownTimeoutMs, signal });
  await pollUntil('Docker to answer after its restart', config.stackDownTimeoutMs, ctx.pollMs ?? DEFAULT_POLL_MS, signal, async () => {
    try {
      await exec.run(['docker', 'info', '--format', '{{.ServerVersion}}'], { timeoutMs: COMMAND_TIMEOUT_MS, signal });
      return true;
    } catch (err) {
      if (signal?.aborted) throw err;
      return false;
    }
  });
}

/** Keeps the last bytes of a long output (a deploy prints a lot) without holding all of it. */
function tailSink(limit: number): { sink: Writable; text: () => string } {
  let tail = Buffer.alloc(0);
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      tail = Buffer.concat([tail, chunk]);
      if (tail.length > limit) tail = tail.subarray(tail.length - limit);
      cb();
    },
  });
  return { sink, text: () => tail.toString('utf8') };
}

/** Runs the deploy command with FACTORY_RESET=no, after checking it once more. Returns its last output lines. */
export async function deploy(ctx: RedeployContext): Promise<string> {
  const { exec, config, signal } = ctx;
  // Checked again here: the configuration may have been built without loadConfig (tests, tools).
  assertSafeRedeploy(config);
  const out = tailSink(2000);
  await exec.run(['sh', '-c', config.deployCommand], {
    timeoutMs: config.deployTimeoutMs,
    signal,
    env: { FACTORY_RESET: 'no' },
    stdout: out.sink,
  });
  return out.text().trim().split('\n').slice(-3).join('\n');
}
