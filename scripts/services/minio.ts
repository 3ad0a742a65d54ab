/** Placeholder until the minio service is written. */
import type { ServiceSpec } from './types.ts';

export const minio: ServiceSpec = {
  name: 'minio',
  async install() {
    throw new Error('minio: not written yet');
  },
  async start() {
    throw new Error('minio: not written yet');
  },
};
