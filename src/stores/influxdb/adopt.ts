/**
 * Adoption of the OpenCRVS scripts' InfluxDB folder: `influxdb/<label>/`, written by
 * `influxd backup -portable`. Every file is checksummed and the portable .manifest is parsed; the
 * point counts are not knowable without loading the shards, so they stay unknown.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { dirDigest, hashDir } from '../../backup/checksum.ts';
import { StoreError } from '../../errors.ts';
import type { Artifact, Counts, StoreContext } from '../types.ts';
import { verifyBackupDir } from './verify.ts';

/** The fields of influxd's portable manifest that adoption reads. */
const portableManifestSchema = z.object({
  files: z.array(z.object({ database: z.string(), policy: z.string(), shardID: z.number() })),
});

/** The folder of `label` as an artifact; [] when the scripts left none (or an empty one). */
export async function adoptInfluxDir(database: string, label: string, ctx: StoreContext): Promise<Artifact[]> {
  const started = Date.now();
  const path = `influxdb/${label}`;
  const dir = join(ctx.root, path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  if (names.length === 0) return [];
  const manifests = names.filter((n) => n.endsWith('.manifest'));
  if (manifests.length !== 1) throw new StoreError('influxdb', `${path} holds ${manifests.length} .manifest files, expected one (is it an influxd -portable backup?)`);
  const manifestName = manifests[0] as string;
  let parsed: z.infer<typeof portableManifestSchema>;
  try {
    parsed = portableManifestSchema.parse(JSON.parse(await readFile(join(dir, manifestName), 'utf8')));
  } catch {
    throw new StoreError('influxdb', `${path}/${manifestName} is not a readable influxd backup manifest`);
  }
  const databases = [...new Set(parsed.files.map((f) => f.database))].sort();
  // The scripts back up one database; a folder of another name is restored under the configured one.
  const source = databases.includes(database) ? database : databases.length === 1 ? (databases[0] as string) : undefined;
  if (!source) throw new StoreError('influxdb', `${path} holds databases ${databases.join(', ') || '(none)'}, not ${database}`);
  ctx.progress({ store: 'influxdb', message: `checksumming ${path}` });
  const files = await hashDir(dir);
  const artifact: Artifact = {
    store: 'influxdb',
    path,
    kind: 'dir',
    bytes: files.reduce((n, f) => n + f.bytes, 0),
    sha256: dirDigest(files),
    files,
    counts: {},
    durationMs: 0,
    meta: {
      database: source,
      shards: parsed.files.filter((f) => f.database === source).length,
      retentionPolicies: [...new Set(parsed.files.filter((f) => f.database === source).map((f) => f.policy))].sort(),
      countsKnown: false,
    },
  };
  const problems = await verifyBackupDir(artifact, ctx.root, source, ctx.signal);
  if (problems.length > 0) throw new StoreError('influxdb', `${path} is not a sound influxd backup: ${problems.slice(0, 5).join('; ')}`);
  return [{ ...artifact, durationMs: Date.now() - started }];
}

/** False for an adopted folder, whose manifest records no counts to compare a restore with. */
export function countsKnown(a: Artifact): boolean {
  return a.meta?.['countsKnown'] !== false;
}

/**
 * Counts after restoring a folder without recorded counts: influxd answers before every shard is
 * open, so wait (bounded) until a reading succeeds and the next one, a moment later, agrees.
 */
export async function settledUnknownCounts(measure: () => Promise<Counts>, waitMs: number): Promise<Counts> {
  const deadline = Date.now() + waitMs;
  let last: string | undefined;
  for (;;) {
    try {
      const counts = await measure();
      const text = JSON.stringify(counts);
      if (text === last || Date.now() > deadline) return counts;
      last = text;
    } catch (err) {
      if (Date.now() > deadline || !(err instanceof StoreError) || !/engine is closed|shard is disabled|shard .*not (found|open)/i.test(err.message)) throw err;
      last = undefined;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
