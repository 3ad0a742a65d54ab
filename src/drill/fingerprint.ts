/**
 * Content fingerprints that do not depend on the order records come back in: each record's bytes
 * are hashed (sha256) and the first 128 bits of every hash are added up modulo 2^128. A store may
 * hand documents back in any order after a restore; a changed, missing or extra record changes the
 * sum. Kept beside the count, so a difference can say which of the two moved.
 */
import { createHash } from 'node:crypto';

const MOD = 1n << 128n;

/** A running fingerprint of a collection, table, bucket or folder. */
export interface ContentHash {
  add(record: Uint8Array | string): void;
  readonly count: number;
  /** `<count>:<32 hex digits>`. */
  digest(): string;
}

export function createContentHash(): ContentHash {
  let sum = 0n;
  let count = 0;
  return {
    add(record) {
      const h = createHash('sha256').update(record).digest();
      sum = (sum + h.readBigUInt64BE(0) * (1n << 64n) + h.readBigUInt64BE(8)) % MOD;
      count += 1;
    },
    get count() {
      return count;
    },
    digest() {
      return `${count}:${sum.toString(16).padStart(32, '0')}`;
    },
  };
}

/** Fingerprints by name (`<db>.<collection>`, `<bucket>`, …). */
export type Fingerprints = Record<string, string>;

/** The manifest keeps fingerprints in an artifact's meta as `"<name> <count>:<hex>"` lines. */
export function encodeFingerprints(fp: Fingerprints): string[] {
  return Object.keys(fp)
    .sort()
    .map((k) => `${k} ${fp[k]}`);
}

export function decodeFingerprints(lines: unknown): Fingerprints | undefined {
  if (!Array.isArray(lines)) return undefined;
  const out: Fingerprints = {};
  for (const line of lines) {
    if (typeof line !== 'string') continue;
    const at = line.lastIndexOf(' ');
    if (at > 0) out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}

/** The first difference between what the set recorded and what the scratch holds, or undefined. */
export function firstDifference(expected: Fingerprints, actual: Fingerprints): string | undefined {
  for (const name of Object.keys(expected).sort()) {
    const want = expected[name];
    const got = actual[name];
    if (got === undefined) return `${name}: in the set, missing after the restore`;
    if (got === want) continue;
    const [wantCount] = (want ?? '').split(':');
    const [gotCount] = got.split(':');
    if (wantCount !== gotCount) return `${name}: ${gotCount} records restored, ${wantCount} in the set`;
    return `${name}: same number of records (${gotCount}) but different content`;
  }
  for (const name of Object.keys(actual).sort()) {
    if (!(name in expected) && !actual[name]?.startsWith('0:')) return `${name}: restored, but not in the set`;
  }
  return undefined;
}
