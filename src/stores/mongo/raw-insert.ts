/**
 * Inserts documents exactly as the archive holds them. Decoding each document into JavaScript
 * values and having the driver encode it again costs more CPU than the server spends storing it
 * (measured: 15–50 MB/s each way on OpenCRVS-shaped documents), so the archive's BSON bytes go to
 * the server unchanged, in an OP_MSG document sequence (a kind-1 section, as mongorestore sends
 * them). The driver builds such sections from its own `DocumentSequence` class, which it does not
 * export publicly: it is looked up once, checked, and when it is not there (another driver
 * version) the documents are decoded and inserted with `insertMany` instead — slower, same data.
 */
import { createRequire } from 'node:module';
import { BSON, WriteConcern, type Db, type Document } from 'mongodb';

interface SequenceLike {
  push(document: unknown, bytes: Uint8Array): number;
}
type SequenceClass = new (field: string) => SequenceLike;

/** The driver's DocumentSequence when it is the same module instance the driver itself uses. */
function findSequenceClass(): SequenceClass | undefined {
  try {
    const require = createRequire(import.meta.url);
    // The class is only recognised (instanceof) when it comes from the very module the driver loaded.
    if ((require('mongodb') as { BSON?: unknown }).BSON !== BSON) return undefined;
    const found = (require('mongodb/lib/cmap/commands.js') as { DocumentSequence?: unknown }).DocumentSequence;
    if (typeof found !== 'function') return undefined;
    const proto = (found as { prototype?: Record<string, unknown> }).prototype;
    if (typeof proto?.['push'] !== 'function' || typeof proto['toBin'] !== 'function') return undefined;
    return found as SequenceClass;
  } catch {
    return undefined;
  }
}

const Sequence = findSequenceClass();

/** How documents reach the server: `raw` (bytes as archived) or `decoded` (the fallback). */
export const insertMode: 'raw' | 'decoded' = Sequence ? 'raw' : 'decoded';

/** The server refused some documents of a batch; the message is the server's own, with how many. */
export class InsertRefusedError extends Error {}

// promoteValues:false & co keep every BSON type (Int32, Double -0/NaN, Long, regex, binary) as is.
const EXACT = { promoteValues: false, promoteBuffers: false, promoteLongs: false, bsonRegExp: true } as const;

/** The fields of an `insert` reply that say what was stored. */
function readReply(reply: Document): { n: number; firstError?: string; errors: number; concern?: string } {
  const writeErrors = Array.isArray(reply['writeErrors']) ? (reply['writeErrors'] as Document[]) : [];
  const wce = reply['writeConcernError'] as Document | undefined;
  return {
    n: Number(reply['n'] ?? 0),
    errors: writeErrors.length,
    ...(writeErrors[0] ? { firstError: String(writeErrors[0]['errmsg'] ?? `code ${String(writeErrors[0]['code'])}`) } : {}),
    ...(wce ? { concern: String(wce['errmsg'] ?? `code ${String(wce['code'])}`) } : {}),
  };
}

/** Documents to insert: one Buffer each, or several BSON documents back to back in one Buffer with their count. */
export type InsertDocs = Buffer[] | { bytes: Buffer; count: number };

/** Splits back-to-back BSON documents (each starts with its int32 length). */
function split(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = bytes.readInt32LE(at);
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  return out;
}

/**
 * Inserts one batch (unordered) into `collection` and returns how many documents the server
 * acknowledged; throws InsertRefusedError when it refused any of them.
 */
export async function insertBatch(db: Db, collection: string, batch: InsertDocs): Promise<number> {
  const count = Array.isArray(batch) ? batch.length : batch.count;
  if (!Sequence) {
    const docs = Array.isArray(batch) ? batch : split(batch.bytes);
    const r = await db.collection(collection).insertMany(
      docs.map((bytes) => BSON.deserialize(bytes, EXACT)),
      { ordered: false },
    );
    if (r.insertedCount !== count) throw new InsertRefusedError(`the server stored ${r.insertedCount} of ${count} documents`);
    return r.insertedCount;
  }
  const sequence = new Sequence('documents');
  // A kind-1 section is the documents back to back: contiguous ones go in as one piece.
  if (Array.isArray(batch)) for (const bytes of batch) sequence.push(bytes, bytes);
  else sequence.push(batch.bytes, batch.bytes);
  const command: Document = { insert: collection, documents: sequence, ordered: false };
  if (db.writeConcern) WriteConcern.apply(command, db.writeConcern);
  const reply = readReply(await db.command(command));
  if (reply.errors > 0) throw new InsertRefusedError(`the server refused ${reply.errors} of ${count} documents (first: ${reply.firstError ?? 'no reason given'})`);
  if (reply.concern) throw new InsertRefusedError(`the write concern was not met: ${reply.concern}`);
  if (reply.n !== count) throw new InsertRefusedError(`the server acknowledged ${reply.n} of ${count} documents`);
  return reply.n;
}
