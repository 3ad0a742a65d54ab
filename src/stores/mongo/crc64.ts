/**
 * CRC-64 with the ECMA-182 polynomial in reflected form, initial and final value all ones —
 * the checksum Go's hash/crc64 computes with crc64.ECMA, which mongodump writes into each
 * namespace's EOF header (as a signed int64) over the concatenated document bytes.
 * Kept as two 32-bit halves because per-byte BigInt arithmetic is far too slow for archives.
 */
import { Long } from 'mongodb';

const POLY_HI = 0xc96c5795;
const POLY_LO = 0xd7870f42;
// Int32Array keeps every value a small integer in V8; uint32 values above 2^31 would be boxed doubles.
const TABLE_HI = new Int32Array(256);
const TABLE_LO = new Int32Array(256);

for (let i = 0; i < 256; i++) {
  let hi = 0;
  let lo = i;
  for (let bit = 0; bit < 8; bit++) {
    const odd = lo & 1;
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi = hi >>> 1;
    if (odd) {
      hi = (hi ^ POLY_HI) >>> 0;
      lo = (lo ^ POLY_LO) >>> 0;
    }
  }
  TABLE_HI[i] = hi;
  TABLE_LO[i] = lo;
}

/** Incremental CRC-64/ECMA (Go flavour); feed bytes with update(), read with value(). */
export class Crc64 {
  // Internal register, kept inverted as Go does between updates.
  private hi = -1;
  private lo = -1;

  update(bytes: Uint8Array): void {
    let hi = this.hi;
    let lo = this.lo;
    for (let i = 0; i < bytes.length; i++) {
      const idx = (lo ^ (bytes[i] as number)) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ (TABLE_LO[idx] as number);
      hi = (hi >>> 8) ^ (TABLE_HI[idx] as number);
    }
    this.hi = hi;
    this.lo = lo;
  }

  /** The checksum as the signed 64-bit integer stored in the archive. */
  value(): Long {
    return Long.fromBits(~this.lo | 0, ~this.hi | 0, false);
  }

  /** The checksum as unsigned hex, for messages. */
  hex(): string {
    const hi = (~this.hi >>> 0).toString(16).padStart(8, '0');
    const lo = (~this.lo >>> 0).toString(16).padStart(8, '0');
    return hi + lo;
  }
}
