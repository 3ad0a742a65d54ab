/**
 * Structural check of a portable `influxd backup` folder, touching nothing in InfluxDB: the files
 * the bot recorded are there, the one .manifest parses and names files that exist, the metadata
 * file is not empty, and every shard archive (.tar.gz) reads to its end.
 */
import { createReadStream } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { z } from 'zod';
import type { Artifact } from '../types.ts';

/** A file influxd wrote beside its manifest: one plain name, never a path out of the folder. */
const fileName = z.string().regex(/^[^/\\\0]+$/).refine((n) => n !== '.' && n !== '..', 'is not a file name');

/** The part of influxd's portable manifest the bot relies on. */
const manifestSchema = z.object({
  meta: z.object({ fileName }),
  files: z.array(z.object({ database: z.string(), policy: z.string(), shardID: z.number(), fileName })),
});

export type PortableManifest = z.infer<typeof manifestSchema>;

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Reads a shard archive to its end; returns the number of entries or throws on damage. */
export async function readShardArchive(path: string, signal: AbortSignal): Promise<number> {
  const extract = tar.extract();
  let entries = 0;
  extract.on('entry', (_header, stream, next) => {
    entries += 1;
    stream.on('end', () => next());
    stream.resume();
  });
  await pipeline(createReadStream(path), createGunzip(), extract, { signal });
  return entries;
}

/** Problems of the InfluxDB folder of a set ([] when sound). `db` must be in the backup. */
export async function verifyBackupDir(a: Artifact, root: string, db: string, signal: AbortSignal): Promise<string[]> {
  const dir = join(root, a.path);
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch {
    return [`${a.path}: the folder is missing`];
  }
  const problems: string[] = [];
  for (const f of a.files ?? []) if (!names.includes(f.path)) problems.push(`${a.path}/${f.path}: missing`);

  const manifests = names.filter((n) => n.endsWith('.manifest'));
  if (manifests.length !== 1) {
    problems.push(`${a.path}: expected one .manifest file, found ${manifests.length}`);
    return problems;
  }
  const manifestName = manifests[0] as string;
  let manifest: PortableManifest;
  try {
    manifest = manifestSchema.parse(JSON.parse(await readFile(join(dir, manifestName), 'utf8')));
  } catch {
    problems.push(`${a.path}/${manifestName}: not a readable influxd backup manifest`);
    return problems;
  }
  const metaPath = join(dir, manifest.meta.fileName);
  if (!(await exists(metaPath))) problems.push(`${a.path}/${manifest.meta.fileName}: named by the manifest but missing`);
  else if ((await stat(metaPath)).size === 0) problems.push(`${a.path}/${manifest.meta.fileName}: empty metadata file`);

  if (!manifest.files.some((f) => f.database === db)) problems.push(`${a.path}: the backup holds no shard of database ${db}`);
  for (const f of manifest.files) {
    const p = join(dir, f.fileName);
    if (!(await exists(p))) {
      problems.push(`${a.path}/${f.fileName}: shard ${f.shardID} named by the manifest but missing`);
      continue;
    }
    try {
      await readShardArchive(p, signal);
    } catch {
      problems.push(`${a.path}/${f.fileName}: shard archive is damaged (cannot be read to its end)`);
    }
  }
  return problems;
}
