/**
 * What a snapshot added to the shared repository, and how big the repository is. Snapshots share
 * files, so a snapshot has no size of its own: the status API reports the files it had to write
 * (`incremental`), and the repository folder holds every snapshot's files once.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { z } from 'zod';
import type { Artifact } from '../types.ts';
import { call } from './connection.ts';

/** The figures kept in the artifact's meta (numbers only; a figure not known is left out). */
export interface SnapshotFigures {
  /** Bytes and files this snapshot wrote (those not already in the repository). */
  addedBytes: number;
  addedFiles: number;
  /** Bytes of every file this snapshot refers to, shared or not. */
  snapshotBytes: number;
  /** Bytes of the whole repository folder as the bot sees it, when readable. */
  repositoryBytes?: number;
}

const sizeSchema = z.object({ file_count: z.number().int().nonnegative(), size_in_bytes: z.number().int().nonnegative() });

/** GET _snapshot/<repo>/<snapshot>/_status (7.8+ and 8.x shape): only the stats used. */
const statusSchema = z.object({
  snapshots: z.array(z.object({ snapshot: z.string(), stats: z.object({ incremental: sizeSchema, total: sizeSchema }) })),
});

const figuresSchema = z.object({
  addedBytes: z.number().int().nonnegative(),
  addedFiles: z.number().int().nonnegative(),
  snapshotBytes: z.number().int().nonnegative(),
  repositoryBytes: z.number().int().nonnegative().optional(),
});

/** Bytes of every file below `dir`; undefined when it cannot be read (the folder is on another host). */
export async function folderBytes(dir: string): Promise<number | undefined> {
  let total = 0;
  try {
    for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
      if (e.isFile()) total += (await stat(join(e.parentPath, e.name))).size;
    }
  } catch {
    return undefined;
  }
  return total;
}

/** The snapshot's figures from the status API and the repository folder. */
export async function snapshotFigures(client: Client, repository: string, snapshot: string, repositoryLocalPath: string): Promise<SnapshotFigures> {
  const raw = await call(`reading the status of snapshot ${snapshot}`, () => client.snapshot.status({ repository, snapshot }));
  const stats = statusSchema.parse(raw).snapshots.find((s) => s.snapshot === snapshot)?.stats;
  const figures: SnapshotFigures = {
    addedBytes: stats?.incremental.size_in_bytes ?? 0,
    addedFiles: stats?.incremental.file_count ?? 0,
    snapshotBytes: stats?.total.size_in_bytes ?? 0,
  };
  const repositoryBytes = await folderBytes(repositoryLocalPath);
  if (repositoryBytes !== undefined) figures.repositoryBytes = repositoryBytes;
  return figures;
}

/** The figures recorded in an Elasticsearch artifact's meta; undefined for sets made before they were recorded. */
export function recordedFigures(a: Artifact): SnapshotFigures | undefined {
  if (a.kind !== 'es-snapshot') return undefined;
  const parsed = figuresSchema.safeParse(a.meta ?? {});
  return parsed.success ? parsed.data : undefined;
}
