/**
 * The bot's MinIO backup file, `minio/<bucket>-<label>.tar.gz` (the name OpenCRVS uses for the
 * bucket `ocrvs`), is a gzip'd POSIX tar laid out so that `tar -xzf` gives an operator the plain
 * attachment files, with no bot needed:
 *
 *   crvs-minio.json   first entry: {"format":"crvs-minio-objects","version":1,"bucket":…,"label":…}
 *   objects/<key>     one entry per object: its exact bytes (keys that are no safe relative path,
 *                     e.g. "a//b" or "../x", are stored as renamed/<n>; the index keeps the key)
 *   index.jsonl       last entry: one JSON line per object, in the order of the entries:
 *                     {"key","entry","size","sha256","etag","contentType","headers","metadata","lastModified"}
 *
 * The index comes last because an object's sha256 is known only once it has streamed through.
 * Its `metadata` is the object's user metadata (x-amz-meta-* without the prefix), `headers` the
 * other stored headers (cache-control, content-disposition, content-encoding, content-language).
 *
 * A file whose first entry is not crvs-minio.json is the older format of the OpenCRVS scripts: a
 * tar of MinIO's data folder (see legacy.ts).
 */
import { z } from 'zod';

export const FORMAT = 'crvs-minio-objects';
export const FORMAT_VERSION = 1;
export const HEADER_ENTRY = 'crvs-minio.json';
export const INDEX_ENTRY = 'index.jsonl';
export const OBJECTS_DIR = 'objects/';
export const RENAMED_DIR = 'renamed/';

export const headerSchema = z.object({
  format: z.literal(FORMAT),
  version: z.literal(FORMAT_VERSION),
  bucket: z.string().min(1),
  label: z.string(),
  createdAt: z.string(),
});
export type ArchiveHeader = z.infer<typeof headerSchema>;

export const indexRecordSchema = z.object({
  key: z.string().min(1),
  entry: z.string().min(1),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  etag: z.string(),
  contentType: z.string(),
  headers: z.record(z.string()),
  metadata: z.record(z.string()),
  lastModified: z.string().optional(),
});
export type IndexRecord = z.infer<typeof indexRecordSchema>;

/** The tar path of an object: objects/<key> when the key is a safe relative path. */
export function entryName(key: string, seq: number): string {
  const segments = key.split('/');
  const safe = !key.includes('\0') && segments.every((s) => s !== '' && s !== '.' && s !== '..');
  return safe ? `${OBJECTS_DIR}${key}` : `${RENAMED_DIR}${seq}`;
}

/** The artifact path of a bucket's backup, relative to the backup root. */
export function artifactPath(bucket: string, label: string): string {
  return `minio/${bucket}-${label}.tar.gz`;
}

/** Stored headers that are restored as they were (besides content-type and user metadata). */
const KEPT_HEADERS = ['cache-control', 'content-disposition', 'content-encoding', 'content-language'] as const;
const META_PREFIX = 'x-amz-meta-';

/** Splits the headers of a GET/HEAD answer into what the index records. */
export function describeHeaders(headers: Record<string, string | string[] | undefined>): {
  contentType: string;
  headers: Record<string, string>;
  metadata: Record<string, string>;
} {
  const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(',') : v);
  const kept: Record<string, string> = {};
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const v = one(value);
    if (v === undefined) continue;
    const lower = name.toLowerCase();
    if (lower.startsWith(META_PREFIX)) metadata[lower.slice(META_PREFIX.length)] = v;
    else if ((KEPT_HEADERS as readonly string[]).includes(lower)) kept[lower] = v;
  }
  return { contentType: one(headers['content-type']) ?? 'application/octet-stream', headers: kept, metadata };
}

/** The metadata argument of putObject that recreates an object's headers. */
export function putMetadata(rec: IndexRecord): Record<string, string> {
  const out: Record<string, string> = { 'content-type': rec.contentType, ...rec.headers };
  for (const [k, v] of Object.entries(rec.metadata)) out[`${META_PREFIX}${k}`] = v;
  return out;
}

/** An S3 etag without quotes; a dash means a multipart upload (then it is no md5 of the bytes). */
export function cleanEtag(etag: string | undefined): string {
  return (etag ?? '').replace(/^"+|"+$/g, '');
}
