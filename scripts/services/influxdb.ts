/** Placeholder until the influxdb service is written. */
import type { ServiceSpec } from './types.ts';

export const influxdb: ServiceSpec = {
  name: 'influxdb',
  async install() {
    throw new Error('influxdb: not written yet');
  },
  async start() {
    throw new Error('influxdb: not written yet');
  },
};
