/**
 * deploy/kubernetes/rbac.yaml on the harness's real API server: the Role is applied as written
 * (in a namespace of its own), then the Kubernetes platform runs AS the bot's service account
 * (impersonated): every call a restore makes is allowed — listing, quiescing and putting back the
 * workloads, reading the migration Jobs — and what the bot must never do is refused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig, loadAllYaml, RbacAuthorizationV1Api, AuthorizationV1Api, CoreV1Api, type V1Role, type V1RoleBinding, type V1ServiceAccount } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { createKubernetesPlatform } from '../../src/platform/kubernetes.ts';
import { testConfig } from '../helpers/env.ts';
import { deployRelease, kubeClients, kubeConfig, kubeEnv, namespaceName, removeNamespace, runningPods, startMigrations, until } from '../helpers/kube.ts';

const RBAC = join(import.meta.dirname, '..', '..', 'deploy', 'kubernetes', 'rbac.yaml');
const cleanups: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/** Creates the ServiceAccount, Role and RoleBinding of rbac.yaml in `namespace`. */
async function applyRbac(kc: KubeConfig, namespace: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const docs = loadAllYaml(readFileSync(RBAC, 'utf8').replaceAll('namespace: opencrvs', `namespace: ${namespace}`)) as Array<{ kind?: string }>;
  for (const doc of docs) {
    if (doc.kind === 'ServiceAccount') await core.createNamespacedServiceAccount({ namespace, body: doc as V1ServiceAccount });
    else if (doc.kind === 'Role') await rbac.createNamespacedRole({ namespace, body: doc as V1Role });
    else if (doc.kind === 'RoleBinding') await rbac.createNamespacedRoleBinding({ namespace, body: doc as V1RoleBinding });
    else throw new Error(`unexpected kind ${doc.kind} in rbac.yaml`);
  }
}

/** The harness kubeconfig, every request impersonating `user`. */
function impersonating(user: string): KubeConfig {
  const admin = kubeConfig();
  const kc = new KubeConfig();
  const cluster = admin.getCurrentCluster();
  const current = admin.getCurrentUser();
  if (!cluster || !current) throw new Error('the harness kubeconfig has no current cluster or user');
  kc.loadFromClusterAndUser(cluster, { ...current, impersonateUser: user });
  return kc;
}

function status(err: unknown): number | undefined {
  return (err as { code?: number }).code;
}

describe('the RBAC of deploy/kubernetes on a real API server', () => {
  it('allows every call of a restore as the bot, and refuses deleting, creating and reading secrets', async () => {
    const k = kubeClients();
    const namespace = namespaceName();
    cleanups.push(() => removeNamespace(k, namespace));
    await deployRelease(k, namespace);
    await applyRbac(kubeConfig(), namespace);
    const bot = impersonating(`system:serviceaccount:${namespace}:crvs-backup-bot`);

    // The restore's calls, made as the bot.
    const cfg = testConfig({ ...kubeEnv(namespace), MIGRATION_MAX_FAILED_TASKS: '2' });
    const r = cfg.restore;
    const platform = createKubernetesPlatform({ settings: r.kube, keep: r.quiesceKeep, deployCommand: '', dockerRestartCommand: r.dockerRestartCommand, pollMs: 300 }, bot);
    const apps = await platform.applicationServices();
    expect(apps).toHaveLength(5);
    await platform.scale(apps.map((s) => ({ ...s, replicas: 0 })), { timeoutMs: 120_000 });
    expect((await runningPods(k, namespace))['auth'] ?? 0).toBe(0);
    await platform.redeploy({ timeoutMs: 120_000 });
    expect((await runningPods(k, namespace))['auth']).toBe(1);
    const since = Date.now();
    await startMigrations(k, namespace, 'complete');
    await until('migrations read as Complete by the bot', 120_000, async () => (await platform.migrationState?.(since, 2))?.kind === 'complete');

    // What it may not do.
    const as = kubeClients(bot);
    const refused: Array<[string, () => Promise<unknown>]> = [
      ['delete a Deployment', () => as.apps.deleteNamespacedDeployment({ name: 'auth', namespace })],
      ['create a Job', () => as.batch.createNamespacedJob({ namespace, body: { metadata: { name: 'x' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'x', image: 'x' }] } } } } })],
      ['delete a pod', () => as.core.deleteCollectionNamespacedPod({ namespace })],
      ['read Secrets', () => as.core.listNamespacedSecret({ namespace })],
      ['list Deployments of another namespace', () => as.apps.listNamespacedDeployment({ namespace: 'default' })],
    ];
    for (const [what, call] of refused) {
      const err = await call().then(() => undefined, (e: unknown) => e);
      expect(status(err), what).toBe(403);
    }

    // And the API server's own answer, for the record of what the Role grants.
    const authz = kubeConfig().makeApiClient(AuthorizationV1Api);
    const review = async (verb: string, group: string, resource: string, subresource?: string): Promise<boolean> =>
      (
        await authz.createSubjectAccessReview({
          body: { spec: { user: `system:serviceaccount:${namespace}:crvs-backup-bot`, resourceAttributes: { namespace, verb, group, resource, subresource } } },
        })
      ).status?.allowed === true;
    expect(await review('create', '', 'pods', 'exec')).toBe(true);
    expect(await review('update', 'apps', 'deployments')).toBe(false);
    expect(await review('delete', 'batch', 'jobs')).toBe(false);
  });
});
