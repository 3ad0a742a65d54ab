/**
 * One contract, every adapter, real servers: seed → backup → verify → change and delete data →
 * restore → everything equal to the seeded state.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../src/backup/run-backup.ts';
import { restoreSet } from '../../src/backup/restore-set.ts';
import { verifySet } from '../../src/backup/verify-set.ts';
import { createLogger } from '../../src/log.ts';
import { createRuntime, type Runtime } from '../../src/runtime.ts';
import { STORE_NAMES } from '../../src/stores/types.ts';
import { SEEDERS } from '../../scripts/seed/index.ts';
import { testConfig } from '../helpers/env.ts';
import { FINGERPRINTS } from './fingerprints.ts';

const runtimes: Runtime[] = [];
afterAll(async () => {
  await Promise.all(runtimes.map((r) => r.close()));
});

describe.each(STORE_NAMES)('store contract: %s', (store) => {
  it('restores exactly the state it backed up', async () => {
    // PostgreSQL: every schema, so that the whole seeded state must come back (`app` only is tested on its own).
    const config = testConfig({ BACKUP_STORES: store, ...(store === 'postgres' ? { POSTGRES_RESTORE_SCHEMAS: 'all' } : {}) });
    const rt = createRuntime(config, createLogger('silent'));
    runtimes.push(rt);
    const seeded = await SEEDERS[store](config, { scale: 1, seed: 7 });
    expect(Object.values(seeded).reduce((n, v) => n + v, 0)).toBeGreaterThan(0);
    const before = await FINGERPRINTS[store](config);

    const outcome = await runBackup(rt.deps, { requestedBy: 'test' });
    expect(outcome.manifest.stores).toEqual([expect.objectContaining({ store, ok: true })]);
    expect(outcome.ok).toBe(true);
    const label = outcome.manifest.label;
    const artifacts = outcome.manifest.artifacts;
    expect(artifacts.length).toBeGreaterThan(0);
    for (const a of artifacts) expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);

    expect((await verifySet(rt.deps, label)).problems).toEqual([]);

    // Change and delete data: a different deployment replaces the seeded one.
    await SEEDERS[store](config, { scale: 1, seed: 99 });
    expect(await FINGERPRINTS[store](config)).not.toBe(before);

    const restored = await restoreSet(rt.deps, label);
    expect(restored.results.map((r) => r.store)).toEqual([store]);
    expect(await FINGERPRINTS[store](config)).toBe(before);
  });
});
