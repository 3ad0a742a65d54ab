/**
 * Checks that bytes are one well-formed BSON document — every length, terminator, element type
 * and string encoding — without building JavaScript values. The verification of an archive runs
 * this over every document: parsing them into objects cost most of a verification's time and
 * memory. It refuses at least what `BSON.deserialize` refuses (test/stores/mongo-archive-bson.test.ts).
 */
import { isUtf8 } from 'node:buffer';

/** Nesting deeper than this is refused (the server's own limit is 100 levels). */
const MAX_DEPTH = 200;

class Malformed extends Error {}

function int32(b: Buffer, at: number, end: number): number {
  if (at + 4 > end) throw new Malformed(`truncated length at byte ${at}`);
  return b.readInt32LE(at);
}

/** End of the cstring starting at `at` (index of its null byte). */
function cstringEnd(b: Buffer, at: number, end: number): number {
  const zero = b.indexOf(0, at);
  if (zero < 0 || zero >= end) throw new Malformed(`unterminated name at byte ${at}`);
  return zero;
}

function utf8(b: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if ((b[i] as number) >= 0x80) return isUtf8(b.subarray(from, to));
  return true;
}

/** A BSON string (int32 length including the null, bytes, null); returns the index after it. */
function string(b: Buffer, at: number, end: number): number {
  const size = int32(b, at, end);
  const stop = at + 4 + size;
  if (size <= 0 || stop > end || b[stop - 1] !== 0) throw new Malformed(`bad string length at byte ${at}`);
  if (!utf8(b, at + 4, stop - 1)) throw new Malformed(`invalid UTF-8 at byte ${at}`);
  return stop;
}

/** Checks the document starting at `at` within `end`; returns the index after it. */
function document(b: Buffer, at: number, end: number, depth: number): number {
  if (depth > MAX_DEPTH) throw new Malformed('nested too deeply');
  const size = int32(b, at, end);
  const stop = at + size;
  if (size < 5 || stop > end) throw new Malformed(`bad document length at byte ${at}`);
  if (b[stop - 1] !== 0) throw new Malformed(`document at byte ${at} does not end with a null byte`);
  let i = at + 4;
  const last = stop - 1;
  while (i < last) {
    const type = b[i] as number;
    i = cstringEnd(b, i + 1, last) + 1;
    switch (type) {
      case 0x01: case 0x09: case 0x11: case 0x12: i += 8; break; // double, datetime, timestamp, int64
      case 0x10: i += 4; break; // int32
      case 0x13: i += 16; break; // decimal128
      case 0x07: i += 12; break; // ObjectId
      case 0x06: case 0x0a: case 0x7f: case 0xff: break; // undefined, null, maxKey, minKey
      case 0x08: // boolean
        if (i >= last || (b[i] as number) > 1) throw new Malformed(`bad boolean at byte ${i}`);
        i += 1;
        break;
      case 0x02: case 0x0d: case 0x0e: i = string(b, i, last); break; // string, code, symbol
      case 0x03: case 0x04: i = document(b, i, last, depth + 1); break; // document, array
      case 0x05: { // binary
        const n = int32(b, i, last);
        if (n < 0 || i + 5 + n > last) throw new Malformed(`bad binary length at byte ${i}`);
        if (b[i + 4] === 0x02 && (n < 4 || int32(b, i + 5, last) !== n - 4)) throw new Malformed(`bad old binary at byte ${i}`);
        i += 5 + n;
        break;
      }
      case 0x0b: i = cstringEnd(b, cstringEnd(b, i, last) + 1, last) + 1; break; // regex: pattern, options
      case 0x0c: i = string(b, i, last) + 12; break; // DBPointer
      case 0x0f: { // code with scope
        const total = int32(b, i, last);
        const afterCode = string(b, i + 4, last);
        const afterScope = document(b, afterCode, last, depth + 1);
        if (total < 14 || afterScope - i !== total) throw new Malformed(`bad code-with-scope length at byte ${i}`);
        i = afterScope;
        break;
      }
      default:
        throw new Malformed(`unknown BSON type 0x${type.toString(16)} at byte ${i}`);
    }
    if (i > last) throw new Malformed(`element overruns its document at byte ${at}`);
  }
  if (i !== last) throw new Malformed(`document at byte ${at} has trailing bytes`);
  return stop;
}

/** Why `bytes` is not one well-formed BSON document, or undefined when it is. */
export function bsonProblem(bytes: Buffer): string | undefined {
  try {
    if (document(bytes, 0, bytes.length, 0) !== bytes.length) return 'bytes after the document';
    return undefined;
  } catch (err) {
    if (err instanceof Malformed) return err.message;
    throw err;
  }
}
