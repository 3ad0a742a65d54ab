/** Placeholder until the elasticsearch service is written. */
import type { ServiceSpec } from './types.ts';

export const elasticsearch: ServiceSpec = {
  name: 'elasticsearch',
  async install() {
    throw new Error('elasticsearch: not written yet');
  },
  async start() {
    throw new Error('elasticsearch: not written yet');
  },
};
