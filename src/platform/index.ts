/** The platform seam: one interface, one implementation per platform. */
export type { Platform, PlatformTask, ServiceReplicas, WaitOptions } from './types.ts';
export { createSwarmPlatform, PlatformError } from './swarm.ts';
