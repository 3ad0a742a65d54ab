/**
 * The Docker Swarm platform: `docker` commands on the manager node through the exec layer (SSH in
 * production). Every wait is bounded by the caller's timeout; every command by its own.
 */
import type { RestoreConfig } from '../config.ts';
import { BotError, ExecError } from '../errors.ts';
import type { Executor, RunOptions } from '../exec/index.ts';
import { assertSafeRedeploy } from '../restore/redeploy.ts';
import { pollUntil } from '../restore/wait.ts';
import { tailSink } from './tail.ts';
import type { Platform, PlatformTask, ServiceReplicas, WaitOptions } from './types.ts';

/** Short commands (ls, ps, scale, info) must answer within this. */
const COMMAND_TIMEOUT_MS = 120_000;
const DEFAULT_POLL_MS = 1000;
/** Task states in which a container may still run. */
const LIVE_STATES = /^(new|pending|assigned|accepted|preparing|ready|starting|running)\b/i;

/** The platform does not answer as expected. */
export class PlatformError extends BotError {
  constructor(message: string) {
    super('platform_error', message);
  }
}

export interface SwarmOptions {
  exec: Executor;
  config: RestoreConfig;
  pollMs?: number;
}

/** `name` of a stack service without the `<stack>_` prefix. */
function shortName(stack: string, name: string): string {
  return name.startsWith(`${stack}_`) ? name.slice(stack.length + 1) : name;
}

/** A Platform over the `docker` CLI of a Swarm manager. */
export function createSwarmPlatform(opts: SwarmOptions): Platform {
  const { exec, config } = opts;
  const pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
  const stackLabel = `label=com.docker.stack.namespace=${config.stack}`;

  async function docker(args: string[], signal?: AbortSignal, extra: Partial<RunOptions> = {}): Promise<string> {
    return (await exec.run(['docker', ...args], { timeoutMs: COMMAND_TIMEOUT_MS, signal, ...extra })).stdout;
  }

  function lines(out: string): string[] {
    return out.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  }

  async function liveTasks(service: string, signal?: AbortSignal): Promise<number> {
    const out = await docker(['service', 'ps', '--format', '{{.DesiredState}}|{{.CurrentState}}', service], signal);
    return lines(out).filter((l) => {
      const [desired = '', current = ''] = l.split('|');
      return desired.toLowerCase() === 'running' ? /^running\b/i.test(current) : LIVE_STATES.test(current);
    }).length;
  }

  async function ready(signal?: AbortSignal): Promise<boolean> {
    try {
      const out = await docker(['info', '--format', '{{.Swarm.LocalNodeState}}|{{.Swarm.ControlAvailable}}'], signal, { timeoutMs: 20_000 });
      if (out.trim() !== 'active|true') return false;
      const state = await docker(['node', 'inspect', 'self', '--format', '{{.Status.State}}'], signal, { timeoutMs: 20_000 });
      return state.trim() === 'ready';
    } catch (err) {
      if (signal?.aborted) throw err;
      return false;
    }
  }

  async function waitReady(w: WaitOptions): Promise<void> {
    await w.onWait?.(`Waiting for Docker to answer and the node to be Ready (at most ${Math.round(w.timeoutMs / 1000)} s)`);
    await pollUntil('Docker to answer with the node Ready', w.timeoutMs, pollMs, w.signal, () => ready(w.signal));
  }

  const platform: Platform = {
    description: `Docker Swarm (stack ${config.stack}) via ${exec.target}`,

    async applicationServices(signal) {
      const out = await docker(['service', 'ls', '--filter', stackLabel, '--format', '{{.Name}}|{{.Mode}}'], signal);
      const keep = config.quiesceKeep.map((k) => k.toLowerCase());
      const names = lines(out)
        .map((l) => l.split('|'))
        .filter(([name = '', mode = '']) => mode === 'replicated' && name !== config.migrationService && !keep.some((k) => shortName(config.stack, name).toLowerCase().includes(k)))
        .map(([name = '']) => name)
        .sort();
      const result: ServiceReplicas[] = [];
      for (const name of names) {
        const n = await docker(['service', 'inspect', '--format', '{{.Spec.Mode.Replicated.Replicas}}', name], signal);
        result.push({ name, replicas: Number(n.trim()) });
      }
      return result;
    },

    async scale(services, w) {
      if (services.length === 0) return;
      await docker(['service', 'scale', '--detach', ...services.map((s) => `${s.name}=${s.replicas}`)], w.signal);
      const what = services.every((s) => s.replicas === 0) ? `${services.length} service(s) to stop` : `${services.length} service(s) to run their replicas again`;
      await w.onWait?.(`Waiting for ${what} (at most ${Math.round(w.timeoutMs / 1000)} s)`);
      await pollUntil(`Waiting for ${what}`, w.timeoutMs, pollMs, w.signal, async () => {
        for (const s of services) if ((await liveTasks(s.name, w.signal)) !== s.replicas) return false;
        return true;
      });
    },

    async stackServices(signal) {
      return lines(await docker(['service', 'ls', '--filter', stackLabel, '--format', '{{.Name}}'], signal));
    },

    async stackDown(w) {
      await docker(['stack', 'rm', config.stack], w.signal);
      await w.onWait?.(`Waiting for the services, containers and networks of ${config.stack} to be removed (at most ${Math.round(w.timeoutMs / 1000)} s)`);
      await pollUntil(`Removing the services and networks of stack ${config.stack}`, w.timeoutMs, pollMs, w.signal, async () => {
        if ((await platform.stackServices(w.signal)).length > 0) return false;
        // Containers outlive their service for their stop grace period (on this node; workers' are theirs).
        if (lines(await docker(['ps', '-q', '--filter', stackLabel], w.signal)).length > 0) return false;
        return lines(await docker(['network', 'ls', '--filter', stackLabel, '-q'], w.signal)).length === 0;
      });
    },

    engine: {
      async uptimeMs(signal) {
        // Elapsed seconds of the engine's process, on the manager's own clock: no clock skew with ours.
        const res = await exec.run(['sh', '-c', 'ps -o etimes= -p "$(cat "$1")"', 'sh', config.dockerPidFile], { timeoutMs: COMMAND_TIMEOUT_MS, signal });
        const seconds = Number(res.stdout.trim());
        if (!Number.isFinite(seconds) || res.stdout.trim() === '') throw new PlatformError(`Cannot tell how long Docker has been running (pid file ${config.dockerPidFile}): ${res.stdout.trim() || 'no answer'}`);
        return seconds * 1000;
      },

      async restart(w) {
        assertSafeRedeploy(config);
        // Not cancellable once begun: a bot that runs in this engine is stopped by this very restart,
        // and cancelling would kill the restart halfway (engine stopped, never started again).
        await exec.run(['sh', '-c', config.dockerRestartCommand], { timeoutMs: w.timeoutMs });
        await waitReady(w);
      },

      waitReady,
    },

    async redeploy(w) {
      // Checked again here: the configuration may have been built without loadConfig (tests, tools).
      assertSafeRedeploy(config);
      const out = tailSink(2000);
      await exec.run(['sh', '-c', config.deployCommand], { timeoutMs: w.timeoutMs, signal: w.signal, env: { FACTORY_RESET: 'no' }, stdout: out.sink });
      return out.text().trim().split('\n').slice(-3).join('\n');
    },

    scaleHint: (list) => `docker service scale ${list.map((s) => `${s.name}=${s.replicas}`).join(' ')}`,

    async tasks(service, signal) {
      try {
        const out = await docker(['service', 'ps', '--no-trunc', '--format', '{{.CurrentState}}|{{.Error}}', service], signal);
        return lines(out).map((l): PlatformTask => {
          const bar = l.indexOf('|');
          return bar < 0 ? { state: l, error: '' } : { state: l.slice(0, bar).trim(), error: l.slice(bar + 1).trim().replace(/^"|"$/g, '') };
        });
      } catch (err) {
        if (err instanceof ExecError && /no such service/i.test(err.message)) return undefined;
        throw err;
      }
    },
  };
  return platform;
}
