/** Placeholder until the mongo service is written. */
import type { ServiceSpec } from './types.ts';

export const mongo: ServiceSpec = {
  name: 'mongo',
  async install() {
    throw new Error('mongo: not written yet');
  },
  async start() {
    throw new Error('mongo: not written yet');
  },
};
