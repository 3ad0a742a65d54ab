/**
 * The Kubernetes platform passes the platform contract on the harness's real API server (etcd,
 * kube-apiserver, controller-manager, scheduler; kwok plays the node and the pods' lifecycle).
 */
import { createKubernetesPlatform } from '../../src/platform/kubernetes.ts';
import { testConfig } from '../helpers/env.ts';
import { deployRelease, kubeClients, kubeEnv, namespaceName, removeNamespace, runningPods, startMigrations } from '../helpers/kube.ts';
import { platformContract } from './platform-contract.ts';

function platformFor(namespace: string, extra: Record<string, string> = {}) {
  const cfg = testConfig({ ...kubeEnv(namespace), ...extra });
  const r = cfg.restore;
  return {
    cfg,
    platform: createKubernetesPlatform({ settings: r.kube, keep: r.quiesceKeep, deployCommand: r.deployCommand, dockerRestartCommand: r.dockerRestartCommand, pollMs: 300 }),
  };
}

platformContract('Kubernetes', {
  engine: false,
  async setup() {
    const k = kubeClients();
    const namespace = namespaceName();
    await deployRelease(k, namespace);
    return {
      // A rollout restart (no KUBE_REDEPLOY_COMMAND): the redeploy puts the recorded replicas back.
      platform: platformFor(namespace).platform,
      short: (name) => name.replace(/^(deployment|statefulset)\//, ''),
      running: () => runningPods(k, namespace),
      upServices: 5,
      cleanup: () => removeNamespace(k, namespace),
    };
  },
  // The hook Jobs and the reindex Job, made as a Helm upgrade makes them, in a fresh namespace.
  async migrations(outcome, timeoutHours) {
    const k = kubeClients();
    const namespace = namespaceName();
    await k.core.createNamespace({ body: { metadata: { name: namespace } } });
    const { cfg, platform } = platformFor(namespace, {
      MIGRATION_POLL_SECONDS: '0.5',
      MIGRATION_PROGRESS_SECONDS: '1',
      MIGRATION_MAX_FAILED_TASKS: '2',
      MIGRATION_TIMEOUT_HOURS: String(timeoutHours),
    });
    await startMigrations(k, namespace, outcome);
    return { platform, config: cfg.restore, cleanup: () => removeNamespace(k, namespace) };
  },
});
