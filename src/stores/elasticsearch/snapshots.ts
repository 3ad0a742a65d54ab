/**
 * The snapshot repository and its snapshots. Snapshots share files inside the repository, so
 * they are only ever removed through the snapshot API, never by deleting files.
 */
import type { Client } from '@elastic/elasticsearch';
import { InputError, StoreError, TimeoutError } from '../../errors.ts';
import { STORE, call, statusOf } from './connection.ts';
import { repositoriesSchema, snapshotListSchema, type SnapshotInfo } from './schemas.ts';

export interface RepositorySpec {
  name: string;
  /** The folder as the Elasticsearch node sees it (inside its path.repo). */
  location: string;
}

/** `snapshot_<label>`, as the OpenCRVS scripts name it; snapshot names must be lower case. */
export function snapshotName(label: string): string {
  const name = `snapshot_${label.toLowerCase()}`;
  if (!/^snapshot_[a-z0-9][a-z0-9._-]*$/.test(name)) {
    throw new InputError(`the label "${label}" cannot name an Elasticsearch snapshot (letters, digits, . _ - only)`);
  }
  return name;
}

/** Registers the fs repository when it is missing or points at another folder. */
export async function ensureRepository(client: Client, repo: RepositorySpec): Promise<void> {
  const current = await call(`reading repository ${repo.name}`, async () => {
    try {
      return repositoriesSchema.parse(await client.snapshot.getRepository({ name: repo.name }))[repo.name];
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  });
  if (current && current.type === 'fs' && current.settings.location === repo.location) return;
  await call(`registering repository ${repo.name} at ${repo.location}`, () =>
    client.snapshot.createRepository({
      name: repo.name,
      repository: { type: 'fs', settings: { location: repo.location, compress: true } },
    }),
  );
}

/** The snapshot, or undefined when the repository has none of that name. */
export async function getSnapshot(client: Client, repository: string, snapshot: string, signal?: AbortSignal): Promise<SnapshotInfo | undefined> {
  const raw = await call(`reading snapshot ${snapshot}`, async () => {
    try {
      return await client.snapshot.get({ repository, snapshot, ignore_unavailable: true }, signal ? { signal } : {});
    } catch (err) {
      if (statusOf(err) === 404) return { snapshots: [] };
      throw err;
    }
  });
  return snapshotListSchema.parse(raw).snapshots.find((s) => s.snapshot === snapshot);
}

export interface TakeOptions {
  repository: string;
  snapshot: string;
  indices: string[];
  timeoutMs: number;
  signal: AbortSignal;
  /** Called while waiting, each time the state seen changes. */
  onPoll?(state: string): void;
}

/**
 * Starts a snapshot and polls it until it ends: one long `wait_for_completion` request would
 * depend on proxies and client timeouts, a poll loop is bounded by `timeoutMs` alone.
 */
export async function takeSnapshot(client: Client, o: TakeOptions): Promise<SnapshotInfo> {
  await call(`starting snapshot ${o.snapshot}`, () =>
    client.snapshot.create({
      repository: o.repository,
      snapshot: o.snapshot,
      indices: o.indices.join(','),
      ignore_unavailable: true,
      include_global_state: false,
      wait_for_completion: false,
    }),
  );
  const deadline = Date.now() + o.timeoutMs;
  let seen = '';
  for (;;) {
    o.signal.throwIfAborted();
    const info = await getSnapshot(client, o.repository, o.snapshot, o.signal);
    const state = info?.state ?? 'STARTING';
    if (info && state !== 'IN_PROGRESS') return info;
    if (state !== seen) o.onPoll?.(state);
    seen = state;
    if (Date.now() >= deadline) throw new TimeoutError(`Elasticsearch snapshot ${o.snapshot}`, o.timeoutMs);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Deletes a snapshot through the API; a missing snapshot is already deleted. */
export async function deleteSnapshot(client: Client, repository: string, snapshot: string): Promise<void> {
  await call(`deleting snapshot ${snapshot}`, async () => {
    try {
      await client.snapshot.delete({ repository, snapshot });
    } catch (err) {
      if (statusOf(err) === 404) return;
      throw err;
    }
  });
}

/** Starts restoring `indices` of a snapshot (global state untouched); the caller waits for recovery. */
export async function startRestore(client: Client, repository: string, snapshot: string, indices: string[], rename?: { pattern: string; replacement: string }): Promise<void> {
  const res = await call(`restoring snapshot ${snapshot}`, () =>
    client.snapshot.restore({
      repository,
      snapshot,
      indices: indices.join(','),
      include_global_state: false,
      wait_for_completion: false,
      // The restore drill restores under other names (scratch indices beside the live ones).
      ...(rename ? { rename_pattern: rename.pattern, rename_replacement: rename.replacement, include_aliases: false } : {}),
    }),
  );
  if (res.accepted === false) throw new StoreError(STORE, `the restore of ${snapshot} was not accepted`);
}
