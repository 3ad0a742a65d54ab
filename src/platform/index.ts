/** The platform seam: one interface, one implementation per platform. */
export type { MigrationState, Platform, PlatformEngine, PlatformTask, ServiceReplicas, WaitOptions } from './types.ts';
export { createSwarmPlatform, PlatformError } from './swarm.ts';
export { lazyKubernetesPlatform } from './kube-lazy.ts';
export type { KubernetesOptions } from './kubernetes.ts';
