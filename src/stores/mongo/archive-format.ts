/**
 * The mongodump archive format (`mongodump --archive`, gzipped as a whole with `--gzip`):
 *   magic 0x8199e26d (little-endian)
 *   prelude block: header document, one metadata document per collection, terminator
 *   then blocks: namespace header {db, collection, EOF:false, CRC:0}, documents, terminator
 *   and per namespace one EOF block: {db, collection, EOF:true, CRC:<crc64 of its documents>}, terminator
 * Segments of different namespaces may interleave (mongodump dumps collections in parallel).
 */
import { Long } from 'mongodb';
import { z } from 'zod';

export const ARCHIVE_MAGIC = 0x8199e26d;
export const TERMINATOR = 0xffffffff;
export const ARCHIVE_FORMAT_VERSION = '0.1';
/** Largest BSON document a server accepts (16 MiB); the archive parser refuses larger lengths. */
export const MAX_BSON_SIZE = 16 * 1024 * 1024;
export const MIN_BSON_SIZE = 5;

const intLike = z
  .union([z.number(), z.bigint(), z.instanceof(Long)])
  .transform((v) => (typeof v === 'number' ? v : Number(v.toString())));

/** The archive's first document. Unknown fields are ignored (tolerant of other tool versions). */
export const archiveHeaderSchema = z.object({
  concurrent_collections: intLike.optional(),
  version: z.string().optional(),
  server_version: z.string().optional(),
  tool_version: z.string().optional(),
});
export type ArchiveHeader = z.infer<typeof archiveHeaderSchema>;

/** One collection announced in the prelude; `metadata` is canonical Extended JSON. */
export const collectionMetadataSchema = z.object({
  db: z.string(),
  collection: z.string().min(1),
  metadata: z.string().default(''),
  size: intLike.optional(),
  type: z.string().optional(),
});
export type CollectionMetadata = z.infer<typeof collectionMetadataSchema>;

export const namespaceHeaderSchema = z.object({
  db: z.string(),
  collection: z.string().min(1),
  EOF: z.boolean().default(false),
  CRC: z.unknown().optional(),
});

/** Collection metadata (the `metadata` JSON of the prelude, as mongodump writes metadata.json). */
export interface CollectionInfo {
  options: Record<string, unknown>;
  indexes: Array<Record<string, unknown>>;
  uuid?: string;
  collectionName: string;
  type: string;
}

export function namespaceOf(db: string, collection: string): string {
  return `${db}.${collection}`;
}
