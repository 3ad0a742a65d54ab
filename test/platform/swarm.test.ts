/** The Docker Swarm platform passes the platform contract on the harness's real engine, through the harness sshd (the manager node). */
import { createSwarmPlatform } from '../../src/platform/index.ts';
import { testConfig } from '../helpers/env.ts';
import { deployStack, migrationControl, removeStack, runningContainers, stackEnv, stackName } from '../helpers/swarm.ts';
import { managerExec, testDatabases } from '../restore/helpers.ts';
import { platformContract } from './platform-contract.ts';

platformContract('Docker Swarm', {
  engine: true,
  async setup() {
    const stack = stackName();
    const cfg = testConfig(stackEnv(stack));
    migrationControl(stack, { databases: [`${stack}-hearth-dev`], migrations: 1, delayMs: 0 });
    await deployStack(stack);
    return {
      platform: createSwarmPlatform({ exec: managerExec(cfg), config: cfg.restore, pollMs: 300 }),
      short: (name) => name.slice(stack.length + 1),
      running: () => runningContainers(stack),
      upServices: 11,
      cleanup: () => removeStack(stack),
    };
  },
  // A fresh stack deployed through the platform, its migration service told how to end: a failing
  // one exits 1 (Swarm restarts it: a loop); an image the node lacks is Rejected (a failure).
  async migrations(outcome, timeoutHours) {
    const stack = stackName();
    migrationControl(stack, { databases: testDatabases(), migrations: 1, fail: outcome === 'loop', delayMs: outcome === 'hang' ? 600_000 : 0 });
    const cfg = testConfig({
      ...stackEnv(stack, outcome === 'fail' ? { image: 'crvs-test/absent:1' } : {}),
      MIGRATION_POLL_SECONDS: '0.5',
      MIGRATION_PROGRESS_SECONDS: '1',
      MIGRATION_MAX_FAILED_TASKS: '3',
      MIGRATION_TIMEOUT_HOURS: String(timeoutHours),
    });
    const platform = createSwarmPlatform({ exec: managerExec(cfg), config: cfg.restore, pollMs: 300 });
    await platform.redeploy({ timeoutMs: 120_000 });
    return { platform, config: cfg.restore, cleanup: () => removeStack(stack) };
  },
});
