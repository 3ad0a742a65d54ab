/**
 * Kubernetes API failures as PlatformErrors a Slack user can act on: the HTTP status and the API
 * server's own one-line message (e.g. "deployments.apps "auth" is forbidden: User … cannot patch …"),
 * never the request, its headers or a stack.
 */
import { PlatformError } from './swarm.ts';

interface ApiFailure {
  code?: number;
  body?: unknown;
  message?: string;
}

function serverMessage(body: unknown): string | undefined {
  if (typeof body === 'string') {
    try {
      return serverMessage(JSON.parse(body));
    } catch {
      return body.slice(0, 300) || undefined;
    }
  }
  if (body && typeof body === 'object' && 'message' in body && typeof body.message === 'string') return body.message;
  return undefined;
}

/** A PlatformError saying `what` failed, or what the API server answered for `cause`. */
export function kubeError(what: string | undefined, cause?: unknown): PlatformError {
  if (cause instanceof PlatformError) return cause;
  if (what) return new PlatformError(`Kubernetes: ${what}`);
  const f = (cause ?? {}) as ApiFailure;
  if (typeof f.code === 'number') return new PlatformError(`The Kubernetes API answered ${f.code}: ${serverMessage(f.body) ?? 'no message'}`);
  const text = cause instanceof Error ? cause.message : String(cause);
  return new PlatformError(`The Kubernetes API could not be reached: ${text.split('\n')[0]}`);
}
