/**
 * The verification's BSON structure check (no server needed): it accepts every BSON type, and on
 * damaged documents it refuses at least whatever the driver's own parser refuses — a damaged
 * document must never pass verification and reach a restore.
 */
import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { bsonProblem } from '../../src/stores/mongo/archive-bson.ts';
import { createRng } from '../../scripts/seed/rng.ts';
import * as seed from '../../scripts/seed/mongo-docs.ts';

function samples(): Buffer[] {
  const rng = createRng(5);
  const out: Buffer[] = [];
  for (let i = 0; i < 50; i++) {
    const p = seed.patient(rng);
    out.push(Buffer.from(BSON.serialize(p)), Buffer.from(BSON.serialize(seed.composition(rng, String(p['id']), 'B1'))));
  }
  out.push(
    Buffer.from(
      BSON.serialize(
        {
          code: new BSON.Code('x', { y: 1 }), plainCode: new BSON.Code('f()'), oldBinary: new BSON.Binary(Buffer.from([1, 2, 3]), 2),
          regex: new BSON.BSONRegExp('^a', 'i'), ref: new BSON.DBRef('c', new BSON.ObjectId()), dec: BSON.Decimal128.fromString('1.5'),
          min: new BSON.MinKey(), max: new BSON.MaxKey(), undef: undefined, yes: true, no: false, symbol: new BSON.BSONSymbol('s'),
          ts: new BSON.Timestamp({ t: 1, i: 2 }), text: 'ü✓', negZero: new BSON.Double(-0), nan: new BSON.Double(Number.NaN),
          long: BSON.Long.fromString('9007199254740993'), int: new BSON.Int32(7), date: new Date(0), nothing: null,
          nested: { a: [1, [2, { b: 'c' }]] }, empty: {}, emptyArray: [],
        },
        { ignoreUndefined: false },
      ),
    ),
  );
  return out;
}

function driverAccepts(bytes: Buffer): boolean {
  try {
    BSON.deserialize(bytes, { promoteValues: false, bsonRegExp: true });
    return true;
  } catch {
    return false;
  }
}

describe('BSON structure check of the verification', () => {
  it('accepts well-formed documents of every type', () => {
    for (const doc of samples()) expect(bsonProblem(doc)).toBeUndefined();
  });

  it('refuses every damaged document the driver refuses (20,000 random byte changes)', () => {
    const docs = samples();
    let state = 7;
    const next = (): number => (state = (state * 1103515245 + 12345) & 0x7fffffff);
    const missed: string[] = [];
    let refused = 0;
    for (let n = 0; n < 20_000; n++) {
      const bytes = Buffer.from(docs[next() % docs.length] as Buffer);
      for (let k = 1 + (next() % 3); k > 0; k--) bytes[next() % bytes.length] = next() & 0xff;
      const problem = bsonProblem(bytes);
      if (problem !== undefined) refused++;
      if (!driverAccepts(bytes) && problem === undefined) missed.push(bytes.toString('hex'));
    }
    expect(missed).toEqual([]);
    expect(refused).toBeGreaterThan(1000);
  });

  it('names what is wrong', () => {
    const doc = Buffer.from(BSON.serialize({ a: 'text' }));
    doc[doc.length - 2] = 1; // the string's terminating null
    expect(bsonProblem(doc)).toMatch(/bad string length/);
    expect(bsonProblem(Buffer.from([5, 0, 0, 0, 1]))).toMatch(/null byte/);
  });
});
