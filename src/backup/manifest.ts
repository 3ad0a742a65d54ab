/**
 * The manifest of a backup set: `manifests/<label>.json` under the backup root. Written last and
 * atomically (temp file + rename); a set without a manifest is incomplete.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, writeFile, open } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError } from '../errors.ts';
import { assertLabel, isSafeRelPath, isValidLabel } from './labels.ts';
import { STORE_NAMES, type Artifact, type StoreName } from '../stores/types.ts';

const storeName = z.enum(STORE_NAMES as [StoreName, ...StoreName[]]);

/**
 * A path read from a manifest is joined to the backup root and then read, restored or deleted:
 * a tampered manifest must not reach outside (`../../etc`), so every path is checked here, once.
 */
const relPath = z.string().refine(isSafeRelPath, 'must be a relative path inside the backup root (no "..", no leading "/")');

const artifactSchema = z
  .object({
    store: storeName,
    path: relPath,
    kind: z.enum(['file', 'dir', 'es-snapshot']),
    bytes: z.number().int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    files: z.array(z.object({ path: relPath, bytes: z.number().int().nonnegative(), sha256: z.string() })).optional(),
    counts: z.record(z.number()),
    durationMs: z.number().nonnegative(),
    meta: z.record(z.union([z.string(), z.number(), z.boolean(), z.array(z.string())])).optional(),
  })
  // Each store's files live in the folder named after it: a manifest cannot point a store at another's files.
  .refine((a) => storeFolders(a.store).includes(a.path.split('/')[0] ?? ''), { message: 'must be inside the folder of its store', path: ['path'] });

/** Top folders a store's files may live in: its own name (vsexport keeps OpenCRVS's own folder). */
function storeFolders(store: StoreName): string[] {
  return store === 'folders' ? ['folders', 'vsexport'] : [store];
}

const storeResultSchema = z.object({
  store: storeName,
  ok: z.boolean(),
  error: z.string().optional(),
  durationMs: z.number().nonnegative(),
  serverVersion: z.string().optional(),
});

export const manifestSchema = z.object({
  format: z.literal(1),
  label: z.string().refine(isValidLabel, 'is not a valid label'),
  createdAt: z.string(),
  finishedAt: z.string(),
  botVersion: z.string(),
  requestedBy: z.string(),
  stores: z.array(storeResultSchema),
  artifacts: z.array(artifactSchema),
  /** Stores whose artifacts retention has deleted: the set can no longer restore them. */
  pruned: z.array(storeName).optional(),
  /** `legacy` when the manifest was made for files written by the old shell scripts. */
  origin: z.enum(['bot', 'legacy']).optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type StoreResult = z.infer<typeof storeResultSchema>;

/** The manifest file of a label; throws an InputError when the label is not one safe name. */
export function manifestPath(root: string, label: string): string {
  return join(root, 'manifests', `${assertLabel(label)}.json`);
}

/** True when every store of the set succeeded. */
export function isComplete(m: Manifest): boolean {
  return m.stores.length > 0 && m.stores.every((s) => s.ok) && (m.pruned ?? []).length === 0;
}

/** Writes the manifest atomically and durably; returns the sha256 of the bytes written. */
export async function writeManifest(root: string, manifest: Manifest): Promise<string> {
  const dir = join(root, 'manifests');
  await mkdir(dir, { recursive: true });
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  const tmp = join(dir, `.${manifest.label}.json.tmp`);
  await writeFile(tmp, text, { mode: 0o640 });
  const fh = await open(tmp, 'r');
  await fh.sync();
  await fh.close();
  await rename(tmp, manifestPath(root, manifest.label));
  return createHash('sha256').update(text).digest('hex');
}

/** Reads and parses a manifest; undefined when the set has none. Throws InputError when unreadable. */
export async function readManifest(root: string, label: string): Promise<{ manifest: Manifest; sha256: string } | undefined> {
  const file = manifestPath(root, label);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InputError(`The manifest of ${label} is not valid JSON: the set cannot be trusted`, 'manifest_invalid');
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new InputError(`The manifest of ${label} is malformed (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}): the set cannot be trusted`, 'manifest_invalid');
  }
  if (parsed.data.label !== label) {
    throw new InputError(`The manifest of ${label} names another set (${parsed.data.label}): the set cannot be trusted`, 'manifest_invalid');
  }
  return { manifest: parsed.data, sha256: createHash('sha256').update(text).digest('hex') };
}

/** Labels of every manifest under the root, newest first by creation time. */
export async function listManifests(root: string): Promise<Array<{ manifest: Manifest; sha256: string }>> {
  let names: string[];
  try {
    names = await readdir(join(root, 'manifests'));
  } catch {
    return [];
  }
  const out: Array<{ manifest: Manifest; sha256: string }> = [];
  for (const name of names) {
    if (!name.endsWith('.json') || name.startsWith('.')) continue;
    try {
      const m = await readManifest(root, name.slice(0, -5));
      if (m) out.push(m);
    } catch {
      /* an unreadable manifest is reported by verify, not by listing */
    }
  }
  return out.sort((a, b) => b.manifest.createdAt.localeCompare(a.manifest.createdAt));
}

/** Labels for which store files exist but no manifest: incomplete (interrupted) sets. */
export async function listOrphanLabels(root: string, known: Set<string>): Promise<string[]> {
  const labels = new Set<string>();
  const add = (l: string): void => {
    if (!known.has(l)) labels.add(l);
  };
  try {
    for (const n of await readdir(join(root, 'mongo'))) {
      const m = /-(\d{4}-\d{2}-\d{2}|[A-Za-z0-9._-]+?)\.gz$/.exec(n);
      const date = /(\d{4}-\d{2}-\d{2})\.gz$/.exec(n);
      if (date?.[1]) add(date[1]);
      else if (m?.[1]) add(m[1]);
    }
  } catch {
    /* no folder */
  }
  try {
    for (const n of await readdir(join(root, 'influxdb'))) add(n);
  } catch {
    /* no folder */
  }
  return [...labels].sort().reverse();
}

export function artifactsOf(m: Manifest, store: StoreName): Artifact[] {
  return m.artifacts.filter((a) => a.store === store) as Artifact[];
}
