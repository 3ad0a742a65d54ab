/** Placeholder until the sshd service is written. */
import type { ServiceSpec } from './types.ts';

export const sshd: ServiceSpec = {
  name: 'sshd',
  async install() {
    throw new Error('sshd: not written yet');
  },
  async start() {
    throw new Error('sshd: not written yet');
  },
};
