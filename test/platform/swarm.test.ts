/** The Docker Swarm platform passes the platform contract on the harness's real engine, through the harness sshd (the manager node). */
import { createSwarmPlatform } from '../../src/platform/index.ts';
import { testConfig } from '../helpers/env.ts';
import { deployStack, migrationControl, removeStack, runningContainers, stackEnv, stackName } from '../helpers/swarm.ts';
import { managerExec } from '../restore/helpers.ts';
import { platformContract } from './platform-contract.ts';

platformContract('Docker Swarm', async () => {
  const stack = stackName();
  const cfg = testConfig(stackEnv(stack));
  migrationControl(stack, { databases: [`${stack}-hearth-dev`], migrations: 1, delayMs: 0 });
  await deployStack(stack);
  return {
    platform: createSwarmPlatform({ exec: managerExec(cfg), config: cfg.restore, pollMs: 300 }),
    stack,
    running: () => runningContainers(stack),
    deploy: () => deployStack(stack),
    cleanup: () => removeStack(stack),
  };
});
