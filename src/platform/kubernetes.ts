/**
 * The Kubernetes platform (OpenCRVS v2.0's Helm charts), through the Kubernetes API with
 * @kubernetes/client-node, from a kubeconfig or the in-cluster service account:
 * quiesce = scale the application Deployments/StatefulSets to 0 (count kept in an annotation) and
 * wait until their pods are gone; redeploy = the configured command (e.g. `helm upgrade …
 * --reuse-values`) or a rollout restart that also puts the recorded replica counts back;
 * migrations = the hook Jobs' status, then the reindex Job. There is no engine to restart.
 */
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { KubeSettings } from '../config.ts';
import { createExecutor } from '../exec/index.ts';
import { assertSafeRedeploy } from '../restore/redeploy.ts';
import { pollUntil } from '../restore/wait.ts';
import { readMigrationState } from './kube-jobs.ts';
import { kubeError } from './kube-errors.ts';
import { listWorkloads, parseId, patchWorkload, readWorkload, replicasOf, REPLICAS_ANNOTATION, RESTARTED_AT_ANNOTATION, settled, type WorkloadScope } from './kube-workloads.ts';
import { tailSink } from './tail.ts';
import type { Platform, ServiceReplicas, WaitOptions } from './types.ts';

const DEFAULT_POLL_MS = 1000;

export interface KubernetesOptions {
  settings: KubeSettings;
  /** Data stores the quiesce leaves running (QUIESCE_KEEP). */
  keep: string[];
  /** REDEPLOY's command; '' for a rollout restart. */
  deployCommand: string;
  dockerRestartCommand: string;
  pollMs?: number;
}

/** A KubeConfig from the configured file, or the pod's service account when none is configured. */
export function loadKubeConfig(settings: Pick<KubeSettings, 'kubeconfig'>): KubeConfig {
  const kc = new KubeConfig();
  if (settings.kubeconfig) kc.loadFromFile(settings.kubeconfig);
  else kc.loadFromCluster();
  return kc;
}

/** A Platform over the Kubernetes API for the OpenCRVS release in `settings.namespace`. */
export function createKubernetesPlatform(opts: KubernetesOptions, kc: KubeConfig = loadKubeConfig(opts.settings)): Platform {
  const { settings } = opts;
  const pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
  const scope: WorkloadScope = {
    apps: kc.makeApiClient(AppsV1Api),
    core: kc.makeApiClient(CoreV1Api),
    namespace: settings.namespace,
    labelSelector: settings.labelSelector,
    keep: opts.keep,
  };
  const jobs = { batch: kc.makeApiClient(BatchV1Api), namespace: settings.namespace, migrationJobs: settings.migrationJobs, reindexJob: settings.reindexJob };
  const server = kc.getCurrentCluster()?.server ?? 'in-cluster';

  /** Sets each workload's replicas (recording the count before a scale to 0), then waits for the pods. */
  async function scale(services: ServiceReplicas[], w: WaitOptions): Promise<void> {
    if (services.length === 0) return;
    const targets = services.map((s) => {
      const ref = parseId(s.name);
      if (!ref) throw kubeError(`"${s.name}" is not a Deployment or StatefulSet of this platform (deployment/<name>)`);
      return { ...ref, replicas: s.replicas };
    });
    for (const t of targets) {
      const now = await kubeCall(() => readWorkload(scope, t.kind, t.name));
      if (!now) throw kubeError(`${t.kind}/${t.name} does not exist in namespace ${settings.namespace}`);
      const annotations = t.replicas === 0 ? (now.replicas > 0 ? { [REPLICAS_ANNOTATION]: String(now.replicas) } : {}) : { [REPLICAS_ANNOTATION]: null };
      await kubeCall(() => patchWorkload(scope, t.kind, t.name, { metadata: { annotations }, spec: { replicas: t.replicas } }));
    }
    const what = targets.every((t) => t.replicas === 0) ? `the pods of ${targets.length} workload(s) to be gone` : `${targets.length} workload(s) to run their replicas again`;
    await w.onWait?.(`Waiting for ${what} (at most ${Math.round(w.timeoutMs / 1000)} s)`);
    await pollUntil(`Waiting for ${what}`, w.timeoutMs, pollMs, w.signal, async () => {
      for (const t of targets) {
        const wl = await kubeCall(() => readWorkload(scope, t.kind, t.name));
        if (!wl || !(await kubeCall(() => settled(scope, wl, t.replicas)))) return false;
      }
      return true;
    });
  }

  /** Rollout restart: new pod-template annotation, recorded replica counts put back; waits for the pods. */
  async function rolloutRestart(w: WaitOptions): Promise<string> {
    const list = await kubeCall(() => listWorkloads(scope));
    const at = new Date().toISOString();
    const targets = replicasOf(list).map((s) => ({ ...s, replicas: s.replicas > 0 ? s.replicas : 1 }));
    for (const wl of list) {
      const replicas = targets.find((t) => t.name === wl.id)?.replicas ?? 1;
      await kubeCall(() =>
        patchWorkload(scope, wl.kind, wl.name, { metadata: { annotations: { [REPLICAS_ANNOTATION]: null } }, spec: { replicas, template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: at } } } } }),
      );
    }
    await w.onWait?.(`Waiting for ${list.length} workload(s) to be ready after the rollout restart (at most ${Math.round(w.timeoutMs / 1000)} s)`);
    await pollUntil('Waiting for the restarted workloads to be ready', w.timeoutMs, pollMs, w.signal, async () => {
      for (const wl of list) {
        const want = targets.find((t) => t.name === wl.id)?.replicas ?? 1;
        if (!(await kubeCall(() => settled(scope, wl, want)))) return false;
      }
      return true;
    });
    return `Rollout restart of ${targets.map((t) => `${t.name} ×${t.replicas}`).join(', ')}`;
  }

  const platform: Platform = {
    description: `Kubernetes (namespace ${settings.namespace}${settings.labelSelector ? `, selector ${settings.labelSelector}` : ''}) at ${server}`,
    reindexWatched: settings.reindexJob !== undefined,

    async applicationServices() {
      return replicasOf(await kubeCall(() => listWorkloads(scope)));
    },

    scale,

    async stackServices() {
      // "Up" on Kubernetes: the workloads that have replicas (a quiesce leaves them at 0, never removed).
      return (await kubeCall(() => listWorkloads(scope))).filter((wl) => wl.replicas > 0).map((wl) => wl.id);
    },

    async stackDown(w) {
      // Nothing is deleted: every application workload is scaled to 0 (already, after a quiesce).
      const apps = await platform.applicationServices(w.signal);
      await scale(apps.map((s) => ({ name: s.name, replicas: 0 })), w);
    },

    async redeploy(w) {
      assertSafeRedeploy({ deployCommand: opts.deployCommand, dockerRestartCommand: opts.dockerRestartCommand });
      if (opts.deployCommand === '') return rolloutRestart(w);
      const out = tailSink(2000);
      const env: Record<string, string> = { FACTORY_RESET: 'no' };
      if (settings.kubeconfig) env['KUBECONFIG'] = settings.kubeconfig;
      await createExecutor({ kind: 'local' }).run(['sh', '-c', opts.deployCommand], { timeoutMs: w.timeoutMs, signal: w.signal, env, stdout: out.sink });
      return out.text().trim().split('\n').slice(-3).join('\n');
    },

    async tasks() {
      // Kubernetes migrations are Jobs, read by migrationState.
      return undefined;
    },

    async migrationState(since, maxFailed) {
      return kubeCall(() => readMigrationState(jobs, since, maxFailed));
    },

    scaleHint: (list) => list.map((s) => `kubectl -n ${settings.namespace} scale ${s.name} --replicas=${s.replicas}`).join(' && '),
  };
  return platform;
}

/** Runs an API call; an API or network failure becomes a PlatformError that says what answered. */
async function kubeCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw kubeError(undefined, err);
  }
}
