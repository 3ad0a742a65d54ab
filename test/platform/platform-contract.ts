/**
 * The contract every Platform passes, against a real engine: what the restore job relies on.
 * `setup` deploys a fresh OpenCRVS-shaped stack and returns the platform for it.
 */
import { describe, expect, it } from 'vitest';
import type { Platform } from '../../src/platform/index.ts';

export interface ContractTarget {
  platform: Platform;
  stack: string;
  /** Running containers (or pods) of the stack, by short service name. */
  running(): Promise<Record<string, number>>;
  /** Deploys the stack again from outside the platform. */
  deploy(): Promise<void>;
  cleanup(): Promise<void>;
}

export function platformContract(name: string, setup: () => Promise<ContractTarget>): void {
  describe(`Platform contract: ${name}`, () => {
    it('lists the application services, stops them (tasks gone) and starts them again', async () => {
      const t = await setup();
      try {
        const apps = await t.platform.applicationServices();
        const short = apps.map((s) => s.name.slice(t.stack.length + 1));
        expect(short).toEqual(['auth', 'client', 'events', 'gateway', 'workflow']);
        expect(apps.every((s) => s.replicas === 1)).toBe(true);
        await t.platform.scale(apps.map((s) => ({ ...s, replicas: 0 })), { timeoutMs: 60_000 });
        const stopped = await t.running();
        for (const s of short) expect(stopped[s] ?? 0).toBe(0);
        // The data stores were left alone.
        for (const s of ['mongo1', 'elasticsearch', 'influxdb', 'minio', 'postgres']) expect(stopped[s]).toBe(1);
        await t.platform.scale(apps, { timeoutMs: 60_000 });
        const back = await t.running();
        for (const s of short) expect(back[s]).toBe(1);
      } finally {
        await t.cleanup();
      }
    });

    it('reads the one-shot migration service to Complete, takes the stack down, and redeploys it', async () => {
      const t = await setup();
      try {
        const service = `${t.stack}_migration`;
        const deadline = Date.now() + 60_000;
        let state = '';
        while (Date.now() < deadline && !/^complete/i.test(state)) {
          state = (await t.platform.tasks(service))?.[0]?.state ?? '';
          await new Promise((r) => setTimeout(r, 300));
        }
        expect(state).toMatch(/^Complete/);
        expect(await t.platform.tasks(`${t.stack}_absent`)).toBeUndefined();
        expect((await t.platform.stackServices()).length).toBe(11);
        await t.platform.stackDown({ timeoutMs: 60_000 });
        expect(await t.platform.stackServices()).toEqual([]);
        expect(await t.running()).toEqual({});
        const out = await t.platform.redeploy({ timeoutMs: 60_000 });
        expect(out).toContain(`${t.stack}_`);
        expect((await t.platform.stackServices()).length).toBe(11);
      } finally {
        await t.cleanup();
      }
    });

    it('restarts the engine: it answers again, the node is ready, and its uptime says it restarted', async () => {
      const t = await setup();
      try {
        const before = await t.platform.engine!.uptimeMs();
        await new Promise((r) => setTimeout(r, 1100));
        const started = Date.now();
        await t.platform.engine!.restart({ timeoutMs: 90_000 });
        const after = await t.platform.engine!.uptimeMs();
        expect(after).toBeLessThanOrEqual(Date.now() - started + 1500);
        expect(after).toBeLessThan(before + (Date.now() - started));
        await t.platform.engine!.waitReady({ timeoutMs: 10_000 });
        // The swarm survived: the stack is still there.
        expect((await t.platform.stackServices()).length).toBe(11);
      } finally {
        await t.cleanup();
      }
    });
  });
}
