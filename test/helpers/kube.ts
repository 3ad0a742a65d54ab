/**
 * The harness's real Kubernetes API server in tests: a namespace of its own per test holding an
 * OpenCRVS-shaped release (five application Deployments, five data-store StatefulSets), its
 * migration hook Jobs with a chosen outcome (kwok plays the pods: see
 * scripts/services/kubernetes/kwok-stages.yaml), and reads for assertions. A test that needs the
 * cluster fails when it is missing.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, type V1Job } from '@kubernetes/client-node';
import { servicesEnv } from './env.ts';

export const APPS = ['auth', 'client', 'events', 'gateway', 'workflow'];
export const DATA_STORES = ['elasticsearch', 'influxdb', 'minio', 'mongo1', 'postgres'];
export const MIGRATION_JOBS = ['data-migration', 'data-migration-analytics', 'data-migration-legacy'];
export const REINDEX_JOB = 'elasticsearch-reindex';

/** How a migration run ends: its pods succeed, fail (Job failed: backoffLimit 0), keep failing, or never end. */
export type MigrationOutcome = 'complete' | 'fail' | 'loop' | 'hang';

/** The harness kubeconfig; throws when the kubernetes service is not up. */
export function kubeconfigPath(): string {
  const file = servicesEnv()['KUBECONFIG'];
  if (!file || !existsSync(file)) throw new Error('the harness Kubernetes API server is not running (npm run services -- up starts it)');
  return file;
}

export function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath());
  return kc;
}

export interface Kube {
  core: CoreV1Api;
  apps: AppsV1Api;
  batch: BatchV1Api;
}

export function kubeClients(kc = kubeConfig()): Kube {
  return { core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api), batch: kc.makeApiClient(BatchV1Api) };
}

/** A fresh namespace name (the cluster is shared by the tests of a run). */
export function namespaceName(): string {
  return `t-${randomBytes(4).toString('hex')}`;
}

const container = (name: string) => ({ name, image: `crvs-test/${name}:1` });

/** Creates the namespace and the release's workloads, then waits until every pod runs. */
export async function deployRelease(k: Kube, namespace: string): Promise<void> {
  await k.core.createNamespace({ body: { metadata: { name: namespace } } });
  await until(`service account of ${namespace}`, 120_000, async () => {
    await k.core.readNamespacedServiceAccount({ name: 'default', namespace });
    return true;
  });
  for (const name of APPS) {
    await k.apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name, labels: { 'app.kubernetes.io/instance': 'opencrvs', app: name } },
        spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [container(name)] } } },
      },
    });
  }
  for (const name of DATA_STORES) {
    await k.apps.createNamespacedStatefulSet({
      namespace,
      body: {
        metadata: { name, labels: { 'app.kubernetes.io/instance': 'opencrvs', app: name } },
        spec: { replicas: 1, serviceName: name, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [container(name)] } } },
      },
    });
  }
  await until(`release ${namespace} running`, 180_000, async () => {
    const r = await runningPods(k, namespace);
    return [...APPS, ...DATA_STORES].every((n) => r[n] === 1);
  });
}

/** Running pods of the namespace (terminating ones excluded) by their `app` label. */
export async function runningPods(k: Kube, namespace: string): Promise<Record<string, number>> {
  const pods = await k.core.listNamespacedPod({ namespace });
  const counts: Record<string, number> = {};
  for (const p of pods.items) {
    if (p.metadata?.deletionTimestamp || p.status?.phase !== 'Running') continue;
    const app = p.metadata?.labels?.['app'] ?? p.metadata?.name ?? '';
    counts[app] = (counts[app] ?? 0) + 1;
  }
  return counts;
}

function job(name: string, outcome: MigrationOutcome): V1Job {
  const labels: Record<string, string> = { 'job-name-of': name };
  if (outcome !== 'complete') labels['crvs-test/outcome'] = outcome === 'loop' ? 'fail' : outcome;
  return {
    metadata: { name, labels: { 'app.kubernetes.io/instance': 'opencrvs' } },
    spec: {
      backoffLimit: outcome === 'fail' ? 0 : 6,
      template: { metadata: { labels }, spec: { restartPolicy: 'Never', containers: [container(name)] } },
    },
  };
}

/**
 * A migration run as Helm's hooks make it: the hook Jobs, then the reindex Job. `outcome` applies
 * to data-migration-analytics (the others succeed); `legacy: false` leaves data-migration-legacy out.
 */
export async function startMigrations(k: Kube, namespace: string, outcome: MigrationOutcome, opts: { legacy?: boolean } = {}): Promise<void> {
  for (const name of MIGRATION_JOBS) {
    if (name === 'data-migration-legacy' && opts.legacy === false) continue;
    await k.batch.createNamespacedJob({ namespace, body: job(name, name === 'data-migration-analytics' ? outcome : 'complete') });
  }
  await k.batch.createNamespacedJob({ namespace, body: job(REINDEX_JOB, 'complete') });
}

/** Deletes the namespace (everything in it goes with it); does not wait. */
export async function removeNamespace(k: Kube, namespace: string): Promise<void> {
  await k.core.deleteNamespace({ name: namespace }).catch(() => undefined);
}

/** Polls `check` every 250 ms until true; throws after `timeoutMs`. */
export async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s${last instanceof Error ? ` (${last.message})` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The configuration variables that point the bot at `namespace` on the harness cluster. */
export function kubeEnv(namespace: string): Record<string, string> {
  return { PLATFORM: 'kubernetes', KUBE_NAMESPACE: namespace, KUBECONFIG: kubeconfigPath() };
}
