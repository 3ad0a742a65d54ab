/**
 * The part of a backup set's manifest the offsite copy needs. The full manifest type belongs to
 * src/backup/manifest.ts; anything with a label and Artifacts fits here.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { STORE_NAMES, type Artifact, type StoreName } from '../stores/types.ts';
import { OffsiteError } from './errors.ts';
import { assertLabel, assertRelPath } from './paths.ts';

/** A backup set as the offsite copy sees it. */
export interface SetManifest {
  label: string;
  artifacts: Artifact[];
}

const fileSchema = z.object({ path: z.string(), bytes: z.number(), sha256: z.string() });
const artifactSchema = z
  .object({
    store: z.enum(STORE_NAMES as [StoreName, ...StoreName[]]),
    path: z.string(),
    kind: z.enum(['file', 'dir', 'es-snapshot']),
    bytes: z.number(),
    sha256: z.string(),
    files: z.array(fileSchema).optional(),
    counts: z.record(z.number()).default({}),
    durationMs: z.number().default(0),
  })
  .passthrough();

/** Keeps only what the offsite code uses; other manifest fields stay in the file untouched. */
export const setManifestSchema = z.object({ label: z.string(), artifacts: z.array(artifactSchema) }).passthrough();

/** Where a set's manifest lives, relative to the backup root. */
export function manifestRelPath(label: string): string {
  assertLabel(label);
  return `manifests/${label}.json`;
}

/** Parses manifest JSON text; `where` names it in the error. */
export function parseSetManifest(text: string, where: string): SetManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new OffsiteError('offsite_bad_manifest', `${where} is not valid JSON`);
  }
  const parsed = setManifestSchema.safeParse(json);
  if (!parsed.success) throw new OffsiteError('offsite_bad_manifest', `${where} is not a backup manifest: ${parsed.error.issues[0]?.message ?? ''}`);
  const m = parsed.data as unknown as SetManifest;
  assertLabel(m.label);
  return m;
}

/** Reads a set's manifest from a local backup root. */
export async function readLocalManifest(root: string, label: string): Promise<SetManifest> {
  const file = join(root, manifestRelPath(label));
  const text = await readFile(file, 'utf8').catch(() => {
    throw new OffsiteError('offsite_no_manifest', `no manifest for set ${label} at ${file}`);
  });
  return parseSetManifest(text, file);
}

/** One plain file of a set: path relative to the root and the checksum the manifest promises. */
export interface SetFile {
  rel: string;
  bytes: number;
  sha256: string;
}

/** Every file of the set except the Elasticsearch repository (mirrored separately). */
export function setFiles(m: SetManifest): SetFile[] {
  const out: SetFile[] = [];
  for (const a of m.artifacts) {
    if (a.kind === 'es-snapshot') continue;
    if (a.kind === 'file') out.push({ rel: assertRelPath(a.path), bytes: a.bytes, sha256: a.sha256 });
    else for (const f of a.files ?? []) out.push({ rel: assertRelPath(`${a.path}/${f.path}`), bytes: f.bytes, sha256: f.sha256 });
  }
  return out;
}

/** True when the set includes the Elasticsearch repository. */
export function hasEsRepository(m: SetManifest): string | undefined {
  return m.artifacts.find((a) => a.kind === 'es-snapshot')?.path;
}
