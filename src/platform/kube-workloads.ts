/**
 * OpenCRVS's application workloads on Kubernetes: the Deployments and StatefulSets of one
 * namespace (optionally narrowed by a label selector), the data stores left out by name. Scaling
 * to 0 records the replica count in an annotation on the workload itself, so the count survives a
 * bot that dies mid-restore, and a rollout restart can put it back.
 */
import type { AppsV1Api, CoreV1Api, V1Deployment, V1LabelSelector, V1StatefulSet } from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { ServiceReplicas } from './types.ts';

/** Where the replica count before a quiesce is kept. */
export const REPLICAS_ANNOTATION = 'crvs-backup-bot/replicas-before-quiesce';
/** The annotation `kubectl rollout restart` sets; a new value rolls the pods. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

/** Workloads named crvs-backup… are the bot's own (deploy/kubernetes/). */
const BOT_PREFIX = 'crvs-backup';

export type WorkloadKind = 'deployment' | 'statefulset';

/** One Deployment or StatefulSet, as the platform needs it. */
export interface Workload {
  kind: WorkloadKind;
  name: string;
  /** `deployment/auth`: the name the restore job records and shows. */
  id: string;
  replicas: number;
  /** The count recorded by a quiesce, when the workload is at 0 because of one. */
  recorded?: number;
  readyReplicas: number;
  generation: number;
  observedGeneration: number;
  selector: string;
}

export interface WorkloadScope {
  apps: AppsV1Api;
  core: CoreV1Api;
  namespace: string;
  labelSelector?: string;
  /** Workloads whose name contains one of these are data stores: never scaled. */
  keep: string[];
}

/** `a=b,c=d` from a workload's matchLabels (the charts select their pods with matchLabels). */
function selectorText(sel: V1LabelSelector | undefined): string {
  const parts = Object.entries(sel?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel?.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

function toWorkload(kind: WorkloadKind, o: V1Deployment | V1StatefulSet): Workload {
  const name = o.metadata?.name ?? '';
  const note = o.metadata?.annotations?.[REPLICAS_ANNOTATION];
  const recorded = note !== undefined && /^\d+$/.test(note) ? Number(note) : undefined;
  return {
    kind,
    name,
    id: `${kind}/${name}`,
    replicas: o.spec?.replicas ?? 1,
    recorded,
    readyReplicas: o.status?.readyReplicas ?? 0,
    generation: o.metadata?.generation ?? 0,
    observedGeneration: o.status?.observedGeneration ?? 0,
    selector: selectorText(o.spec?.selector),
  };
}

/** The application workloads of the scope, sorted by id. */
export async function listWorkloads(s: WorkloadScope): Promise<Workload[]> {
  const q = { namespace: s.namespace, labelSelector: s.labelSelector || undefined };
  const [deps, sets] = await Promise.all([s.apps.listNamespacedDeployment(q), s.apps.listNamespacedStatefulSet(q)]);
  // The bot's own Deployment and Redis (deploy/kubernetes/) may share the namespace: never stopped.
  const keep = [...s.keep.map((k) => k.toLowerCase()), BOT_PREFIX];
  return [...deps.items.map((d) => toWorkload('deployment', d)), ...sets.items.map((x) => toWorkload('statefulset', x))]
    .filter((w) => !keep.some((k) => w.name.toLowerCase().includes(k)))
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** `deployment/auth` → its kind and name; undefined for anything else. */
export function parseId(id: string): { kind: WorkloadKind; name: string } | undefined {
  const m = /^(deployment|statefulset)\/([a-z0-9][a-z0-9.-]*)$/.exec(id);
  return m ? { kind: m[1] as WorkloadKind, name: m[2] as string } : undefined;
}

/** A merge patch of one workload (spec.replicas, annotations). */
export async function patchWorkload(s: WorkloadScope, kind: WorkloadKind, name: string, body: object): Promise<void> {
  const opts = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  if (kind === 'deployment') await s.apps.patchNamespacedDeployment({ name, namespace: s.namespace, body }, opts);
  else await s.apps.patchNamespacedStatefulSet({ name, namespace: s.namespace, body }, opts);
}

/** Reads one workload; undefined when it does not exist. */
export async function readWorkload(s: WorkloadScope, kind: WorkloadKind, name: string): Promise<Workload | undefined> {
  try {
    const o = kind === 'deployment' ? await s.apps.readNamespacedDeployment({ name, namespace: s.namespace }) : await s.apps.readNamespacedStatefulSet({ name, namespace: s.namespace });
    return toWorkload(kind, o);
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

/** Pods of the workload that still exist and have not ended (terminating ones count: they may still write). */
export async function livePods(s: WorkloadScope, w: Workload): Promise<number> {
  if (w.selector === '') return 0;
  const pods = await s.core.listNamespacedPod({ namespace: s.namespace, labelSelector: w.selector });
  return pods.items.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed').length;
}

/** True when the workload runs exactly `want` pods (0: every pod gone; n: n ready, rollout observed). */
export async function settled(s: WorkloadScope, w: Workload, want: number): Promise<boolean> {
  const now = await readWorkload(s, w.kind, w.name);
  if (!now) return want === 0;
  const pods = await livePods(s, now);
  if (want === 0) return pods === 0;
  return now.observedGeneration >= now.generation && now.readyReplicas === want && pods === want;
}

/** The replica list the restore job records, from workloads. */
export function replicasOf(list: Workload[]): ServiceReplicas[] {
  return list.map((w) => ({ name: w.id, replicas: w.replicas > 0 ? w.replicas : (w.recorded ?? 0) }));
}
