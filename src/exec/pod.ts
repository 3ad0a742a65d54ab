/**
 * A command in a pod's container through the Kubernetes API's exec subresource (a WebSocket, as
 * `kubectl exec` does): for tools that must run beside the data (influxd, pg_dump of the server's
 * major) when OpenCRVS runs on Kubernetes. Variables travel on stdin and are exported by a tiny
 * wrapper, as over SSH: the exec API has no environment, and argv is visible in the pod.
 */
import { PassThrough, Readable } from 'node:stream';
import { CoreV1Api, Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node';
import { ExecError } from '../errors.ts';
import { envPreamble } from './ssh.ts';
import type { PodRef } from './pod-setting.ts';
import type { Started } from './supervise.ts';

/** Reads NAME=value lines up to an empty line, exports them, then runs argv. */
const ENV_WRAPPER = 'while IFS= read -r l && [ -n "$l" ]; do export "$l" || exit 125; done; exec "$@"';

/** The exit code an exec status reports (0 on Success); undefined when it says none. */
export function exitCodeOf(status: V1Status): number | undefined {
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const code = Number(cause?.message);
  if (cause && Number.isInteger(code)) return code;
  // Some kubelet implementations (kwok's) say it only in the message: "… exit status 3".
  const said = /\bexit status (\d+)\b/.exec(status.message ?? '');
  return said ? Number(said[1]) : undefined;
}

/** The argv the exec API runs: the env wrapper first when there are variables. */
export function podArgv(argv: string[], env: Record<string, string> | undefined): { argv: string[]; preamble: string | undefined } {
  if (!env || Object.keys(env).length === 0) return { argv, preamble: undefined };
  return { argv: ['sh', '-c', ENV_WRAPPER, 'sh', ...argv], preamble: envPreamble(env) };
}

async function containerOf(kc: KubeConfig, ref: PodRef): Promise<string> {
  if (ref.container) return ref.container;
  const pod = await kc.makeApiClient(CoreV1Api).readNamespacedPod({ name: ref.pod, namespace: ref.namespace });
  const first = pod.spec?.containers[0]?.name;
  if (!first) throw new Error(`pod ${ref.namespace}/${ref.pod} has no container`);
  return first;
}

/** Starts argv in the pod; the exit code comes from the API's final status message. */
export function startPod(kc: KubeConfig, ref: PodRef, argv: string[], display: string, env: Record<string, string> | undefined, stdin: Readable | undefined): Started {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const wrapped = podArgv(argv, env);
  let socket: { close(): void } | undefined;
  let killed = false;
  const exited = new Promise<number | null>((resolve, reject) => {
    const input = wrapped.preamble !== undefined ? Readable.from(concat(wrapped.preamble, stdin)) : (stdin ?? null);
    let status: V1Status | undefined;
    const finish = (): void => {
      stdout.end();
      stderr.end();
      if (killed) return resolve(null);
      if (!status) return reject(new ExecError(display, null, 'the exec connection closed without an exit status'));
      const code = exitCodeOf(status);
      if (code === undefined) return reject(new ExecError(display, null, status.message ?? 'the API server refused the exec'));
      resolve(code);
    };
    containerOf(kc, ref)
      .then((container) =>
        new Exec(kc).exec(ref.namespace, ref.pod, container, wrapped.argv, stdout, stderr, input, false, (s) => {
          status = s;
        }),
      )
      .then((ws) => {
        socket = ws;
        if (killed) ws.close();
        ws.on('close', finish);
        ws.on('error', (err) => reject(new ExecError(display, null, err.message)));
      })
      .catch((err: unknown) => {
        stdout.end();
        stderr.end();
        reject(new ExecError(display, null, describeFailure(err)));
      });
  });
  return {
    stdout,
    stderr,
    exited,
    kill() {
      killed = true;
      socket?.close();
    },
  };
}

async function* concat(first: string, rest: Readable | undefined): AsyncGenerator<Buffer> {
  yield Buffer.from(first);
  if (rest) for await (const chunk of rest) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
}

/** The API server's own message when the exec is refused (404, 403, no kubelet to reach). */
function describeFailure(err: unknown): string {
  const e = err as { code?: number; body?: unknown; message?: string };
  if (typeof e.body === 'string') {
    try {
      const parsed = JSON.parse(e.body) as { message?: string };
      if (parsed.message) return `${e.code ?? ''} ${parsed.message}`.trim();
    } catch {
      /* not JSON */
    }
  }
  return (e.message ?? String(err)).split('\n')[0] ?? 'exec failed';
}
