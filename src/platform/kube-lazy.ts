/**
 * The Kubernetes platform, loaded on first use: @kubernetes/client-node is large, and a bot on
 * Docker Swarm (or the CLI) should not pay for loading it at every start.
 */
import type { KubernetesOptions } from './kubernetes.ts';
import type { Platform } from './types.ts';

/** A Platform that loads kubernetes.ts (and its client) on the first call that needs the API. */
export function lazyKubernetesPlatform(opts: KubernetesOptions): Platform {
  const { settings } = opts;
  let loaded: Promise<Platform> | undefined;
  const impl = (): Promise<Platform> => (loaded ??= import('./kubernetes.ts').then((m) => m.createKubernetesPlatform(opts)));
  return {
    description: `Kubernetes (namespace ${settings.namespace}${settings.labelSelector ? `, selector ${settings.labelSelector}` : ''})`,
    reindexWatched: settings.reindexJob !== undefined,
    applicationServices: async (signal) => (await impl()).applicationServices(signal),
    scale: async (services, w) => (await impl()).scale(services, w),
    stackServices: async (signal) => (await impl()).stackServices(signal),
    stackDown: async (w) => (await impl()).stackDown(w),
    redeploy: async (w) => (await impl()).redeploy(w),
    tasks: async (service, signal) => (await impl()).tasks(service, signal),
    migrationState: async (since, maxFailed, signal) => {
      const p = await impl();
      if (!p.migrationState) throw new Error('the Kubernetes platform reads no migration state');
      return p.migrationState(since, maxFailed, signal);
    },
    scaleHint: (list) => list.map((s) => `kubectl -n ${settings.namespace} scale ${s.name} --replicas=${s.replicas}`).join(' && '),
  };
}
