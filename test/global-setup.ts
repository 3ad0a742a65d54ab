/**
 * Starts the real local services once for the whole suite (the same code as `npm run services`)
 * and hands their variables to the tests. A service that cannot start fails the run.
 */
import type { TestProject } from 'vitest/node';
import { up, servicesEnv, down } from '../scripts/services/harness.ts';
import type { RunningService } from '../scripts/services/types.ts';

let started: RunningService[] = [];

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const before = new Set((await import('../scripts/services/harness.ts')).status().filter((s) => s.running).map((s) => s.name));
  const services = await up({ log: (m) => process.stderr.write(`${m}\n`) });
  started = services.filter((s) => !before.has(s.name) && s.pid !== 0);
  project.provide('servicesEnv', servicesEnv());
  project.provide('services', services.map(({ name, version, url, real }) => ({ name, version, url, real })));
  return async () => {
    if (process.env['CRVS_KEEP_SERVICES'] === '1') return;
    await down({ only: started.map((s) => s.name) });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    servicesEnv: Record<string, string>;
    services: Array<{ name: string; version: string; url: string; real: boolean }>;
  }
}
