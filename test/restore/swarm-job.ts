/** Shared set-up of the restore tests on the real swarm: configuration, a set to restore, cleanups. */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { BackupDeps } from '../../src/backup/deps.ts';
import { runBackup } from '../../src/backup/run-backup.ts';
import type { Config } from '../../src/config.ts';
import type { RestoreRequest } from '../../src/core/ports.ts';
import { createLogger } from '../../src/log.ts';
import { createAdapters } from '../../src/stores/registry.ts';
import type { StoreAdapter, StoreName } from '../../src/stores/types.ts';
import { testConfig } from '../helpers/env.ts';
import { stackEnv } from '../helpers/swarm.ts';
import { dropMongo, mutateMongo, seedMongo, snapshotMongo } from './helpers.ts';

export type Cleanups = Array<() => Promise<void>>;

/** A restore of MongoDB only, redeployed on `stack` of the harness engine, with short waits. */
export function swarmConfig(dbs: string[], stack: string, extra: Record<string, string> = {}): Config {
  return testConfig({
    BACKUP_STORES: 'mongo',
    MONGO_DATABASES: dbs.join(','),
    ...stackEnv(stack),
    STACK_DOWN_TIMEOUT_SECONDS: '90',
    QUIESCE_TIMEOUT_SECONDS: '60',
    MIGRATION_POLL_SECONDS: '0.5',
    MIGRATION_PROGRESS_SECONDS: '1',
    MIGRATION_TIMEOUT_HOURS: '0.03',
    ...extra,
  });
}

export function backupDeps(cfg: Config, cleanups: Cleanups, adapters?: Map<StoreName, StoreAdapter>): BackupDeps {
  const map = adapters ?? createAdapters(cfg, createLogger('silent'));
  cleanups.push(async () => {
    await Promise.allSettled([...map.values()].map((a) => a.close()));
  });
  return { config: cfg, logger: createLogger('silent'), adapters: map, botVersion: 'test' };
}

/** A set of the seeded data, then the data changed: what a restore must undo. */
export async function prepareSet(cfg: Config, dbs: string[], cleanups: Cleanups): Promise<{ req: RestoreRequest; before: Awaited<ReturnType<typeof snapshotMongo>> }> {
  await seedMongo(cfg.mongo.url, dbs);
  const before = await snapshotMongo(cfg.mongo.url, dbs);
  const label = `set-${randomBytes(3).toString('hex')}`;
  const made = await runBackup(backupDeps(cfg, cleanups), { label, requestedBy: 'U0SEEDER' });
  expect(made.ok).toBe(true);
  await mutateMongo(cfg.mongo.url, dbs);
  cleanups.push(() => dropMongo(cfg.mongo.url, dbs));
  const req: RestoreRequest = {
    requestId: `rq-${randomBytes(6).toString('hex')}`,
    label,
    manifestSha256: made.manifestSha256,
    requestedBy: 'U0REQUESTER',
    approvedBy: ['U0APPROVER1', 'U0APPROVER2'],
    report: { channel: 'C0RESTORE', threadTs: '1700000000.000001' },
  };
  return { req, before };
}
