/**
 * The restore's insert path on the real local server: the archive's BSON bytes are stored as they
 * are (types, field order), and a batch the server refuses in part fails with the
 * server's reason and how many documents it refused — never a silently short collection.
 */
import { BSON, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InsertRefusedError, insertBatch, insertMode } from '../../src/stores/mongo/raw-insert.ts';
import { BatchBuffer } from '../../src/stores/mongo/batch-buffer.ts';
import { testConfig } from '../helpers/env.ts';

const DB = 'crvs-raw-insert';

describe('restore inserts (raw BSON)', () => {
  let client: MongoClient;

  beforeAll(async () => {
    client = new MongoClient(testConfig().mongo.url, { serverSelectionTimeoutMS: 10_000 });
    await client.connect();
    await client.db(DB).dropDatabase();
  });
  afterAll(async () => {
    await client?.db(DB).dropDatabase();
    await client?.close();
  });

  it('uses the driver installed here to send the archive bytes unchanged', () => {
    // 'decoded' still restores the same data, only slower: this guards the speed a driver upgrade could lose.
    expect(insertMode).toBe('raw');
  });

  it('stores each document byte for byte as archived', async () => {
    // Not -0 or NaN: FerretDB stores -0 as 0 and drops the connection on NaN, however they are sent
    // (mongo-archive.test.ts keeps both through the archive itself).
    const docs = [
      { _id: new BSON.ObjectId('65a1b2c3d4e5f60718293a4b'), z: new BSON.Int32(7), a: new BSON.Double(2.5), long: BSON.Long.fromString('9007199254740993') },
      { _id: new BSON.ObjectId('65a1b2c3d4e5f60718293a4c'), regex: new BSON.BSONRegExp('^a', 'i'), bin: new BSON.Binary(Buffer.from([0, 255]), 0), text: 'héllo ✓', nested: { b: [new BSON.Int32(1), { c: 2.5 }] } },
    ].map((d) => Buffer.from(BSON.serialize(d)));
    expect(await insertBatch(client.db(DB), 'exact', docs)).toBe(2);
    const stored: Buffer[] = [];
    for await (const raw of client.db(DB).collection('exact').find({}, { raw: true }).sort({ _id: 1 })) stored.push(Buffer.from(raw as unknown as Uint8Array));
    expect(stored.map((b) => b.toString('hex'))).toEqual(docs.map((b) => b.toString('hex')));
  });

  it('stores a batch held back to back in one buffer (as the restore sends it) byte for byte, then frees that buffer', async () => {
    const docs = Array.from({ length: 700 }, (_, i) => Buffer.from(BSON.serialize({ _id: new BSON.Int32(i), s: 'x'.repeat(i % 97), n: new BSON.Double(i / 3) })));
    const batch = new BatchBuffer();
    for (const d of docs) batch.add(d);
    expect(await insertBatch(client.db(DB), 'contiguous', batch)).toBe(700);
    batch.free();
    expect(batch.bytes.length).toBe(0);
    const stored: Buffer[] = [];
    for await (const raw of client.db(DB).collection('contiguous').find({}, { raw: true }).sort({ _id: 1 })) stored.push(Buffer.from(raw as unknown as Uint8Array));
    expect(Buffer.concat(stored).equals(Buffer.concat(docs))).toBe(true);
  });

  it('fails with the server reason when it refuses part of a batch', async () => {
    const dup = Buffer.from(BSON.serialize({ _id: 1, v: 'a' }));
    const other = Buffer.from(BSON.serialize({ _id: 2, v: 'b' }));
    await insertBatch(client.db(DB), 'dups', [dup]);
    const err = await insertBatch(client.db(DB), 'dups', [dup, other]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsertRefusedError);
    expect(String((err as Error).message)).toMatch(/refused 1 of 2 documents .*duplicate key/i);
    expect(await client.db(DB).collection('dups').countDocuments()).toBe(2);
  });
});
