/** createExecutor: the one way to run a command — locally, in a container, or over SSH. */
import { ConfigError, TimeoutError } from '../errors.ts';
import type { SshTarget as ConfigSshTarget } from '../config.ts';
import { childEnv, startLocal } from './local.ts';
import { describeCommand } from './quote.ts';
import { connectSsh, envPreamble, startSsh } from './ssh.ts';
import { startDocker } from './docker.ts';
import { supervise } from './supervise.ts';
import { parsePodSetting } from './pod-setting.ts';
import type { ExecTarget, Executor, RunOptions, RunResult } from './types.ts';

/** Builds the executor of a target. No connection is made until run(). */
export function createExecutor(target: ExecTarget): Executor {
  switch (target.kind) {
    case 'local':
      return {
        target: 'local',
        run(argv, opts) {
          const [cmd, ...args] = nonEmpty(argv);
          const display = describeCommand(argv);
          const started = startLocal(cmd, args, childEnv(opts.env), display, opts.stdin);
          if (started.pid !== undefined) opts.onSpawn?.(started.pid);
          return supervise(started, opts, display);
        },
      };
    case 'docker':
      return {
        target: `docker:${target.container}`,
        run(argv, opts) {
          if (opts.exclusive !== undefined && !/^[a-z0-9-]{1,40}$/.test(opts.exclusive)) throw new Error(`exec: bad exclusive tag ${JSON.stringify(opts.exclusive)}`);
          const display = `docker exec ${target.container} ${describeCommand(nonEmpty(argv))}`;
          return supervise(startDocker(target.container, argv, opts, display), opts, display);
        },
      };
    case 'pod': {
      const ref = { namespace: target.namespace, pod: target.pod, container: target.container };
      const where = `pod:${target.namespace}/${target.pod}${target.container ? `:${target.container}` : ''}`;
      return {
        target: where,
        async run(argv, opts) {
          const display = `kubectl exec ${target.namespace}/${target.pod} -- ${describeCommand(nonEmpty(argv))}`;
          // Loaded on first use: the Kubernetes client is large and most deployments never need it.
          const [{ KubeConfig }, { startPod }] = await Promise.all([import('@kubernetes/client-node'), import('./pod.ts')]);
          const kc = new KubeConfig();
          if (target.kubeconfig) kc.loadFromFile(target.kubeconfig);
          else kc.loadFromCluster();
          return supervise(startPod(kc, ref, argv, display, opts.env, opts.stdin), opts, display);
        },
      };
    }
    case 'ssh':
      return {
        target: `ssh:${target.username}@${target.host}:${target.port}`,
        async run(argv, opts): Promise<RunResult> {
          const display = `ssh ${target.username}@${target.host} ${describeCommand(nonEmpty(argv))}`;
          // Checked before connecting, so that a bad value never leaves a connection behind.
          const preamble = envPreamble(opts.env);
          const started = Date.now();
          const conn = await connectSsh(target, Math.min(opts.timeoutMs, 30_000));
          const left = opts.timeoutMs - (Date.now() - started);
          if (left <= 0) {
            conn.end();
            throw new TimeoutError(`\`${display}\``, opts.timeoutMs);
          }
          return supervise(startSsh(conn, argv, preamble, opts.stdin, display), { ...opts, timeoutMs: left }, display, opts.timeoutMs);
        },
      };
  }
}

/**
 * The target named by a setting such as INFLUX_EXEC: `local`, `docker:<container>`, or `ssh`
 * (the manager node of the configuration). `variable` names the setting in errors.
 */
export function targetFromSetting(setting: string, manager: ConfigSshTarget | undefined, variable: string, kubeconfig?: string): ExecTarget {
  if (setting === 'local') return { kind: 'local' };
  if (setting.startsWith('pod:')) {
    const ref = parsePodSetting(setting);
    if (!ref) throw new ConfigError(variable, `must be pod:<namespace>/<pod>[:<container>] (got "${setting}")`);
    return { kind: 'pod', ...ref, kubeconfig };
  }
  if (setting.startsWith('docker:')) {
    const container = setting.slice('docker:'.length);
    if (!container) throw new ConfigError(variable, 'names no container after "docker:"');
    return { kind: 'docker', container };
  }
  if (setting === 'ssh') {
    if (!manager) throw new ConfigError(variable, 'is "ssh" but MANAGER_HOST is not set');
    return { kind: 'ssh', ...manager };
  }
  throw new ConfigError(variable, `must be local, docker:<container>, pod:<namespace>/<pod>[:<container>] or ssh (got "${setting}")`);
}

function nonEmpty(argv: string[]): [string, ...string[]] {
  const [first, ...rest] = argv;
  if (first === undefined || first === '') throw new Error('exec: empty argv');
  return [first, ...rest];
}
