/**
 * The mongodump archive writer and reader, on files: byte-exact round trip of every BSON type,
 * empty collections, views, indexes and options; interleaved segments as mongodump writes them;
 * damaged files reported as problems.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { gunzipSync, gzipSync, createGzip } from 'node:zlib';
import { BSON } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { archiveChunks, type NamespaceSource } from '../../src/stores/mongo/archive-writer.ts';
import { scanArchive } from '../../src/stores/mongo/archive-scan.ts';
import { Crc64 } from '../../src/stores/mongo/crc64.ts';

const dir = mkdtempSync(join(tmpdir(), 'mongo-archive-'));
const oid = new BSON.ObjectId('65a1b2c3d4e5f60718293a4b');

/** One document per BSON type (and awkward values of some), serialized as a dump would read them. */
function allTypes(): Uint8Array[] {
  const values: Record<string, unknown> = {
    double: new BSON.Double(1.5),
    negativeZero: new BSON.Double(-0),
    nan: new BSON.Double(NaN),
    infinity: new BSON.Double(-Infinity),
    string: 'héllo ✓ 🦀',
    emptyString: '',
    object: { a: { b: { c: new BSON.Int32(1) } } },
    emptyObject: {},
    array: [new BSON.Int32(1), 'a', [new BSON.Int32(2), []]],
    binary: new BSON.Binary(Buffer.from([0, 1, 2, 255]), 0),
    uuid: new BSON.UUID('b118c127-8baa-4e9e-afeb-14c8e70a8b97'),
    md5: new BSON.Binary(Buffer.alloc(16, 7), 5),
    userBinary: new BSON.Binary(Buffer.from('x'), 0x80),
    objectId: oid,
    boolean: false,
    date: new Date(-86_400_000),
    null: null,
    regex: new BSON.BSONRegExp('^a.*$', 'imsx'),
    code: new BSON.Code('function () { return 1; }'),
    codeWithScope: new BSON.Code('x + y', { x: new BSON.Int32(1), y: new BSON.Int32(2) }),
    symbol: new BSON.BSONSymbol('sym'),
    int32: new BSON.Int32(-2147483648),
    timestamp: new BSON.Timestamp({ t: 1_700_000_000, i: 7 }),
    int64: BSON.Long.fromString('-9223372036854775808'),
    decimal: BSON.Decimal128.fromString('-1.10E-6170'),
    minKey: new BSON.MinKey(),
    maxKey: new BSON.MaxKey(),
    dbRef: new BSON.DBRef('Patient', oid, 'hearth-dev'),
    'dotted.key': 1,
    $dollarKey: 2,
  };
  return Object.entries(values).map(([k, v], i) => BSON.serialize({ _id: new BSON.Int32(i), [k]: v }));
}

async function writeArchive(file: string, sources: NamespaceSource[]): Promise<void> {
  const stats = { counts: new Map<string, number>(), bytes: 0 };
  const chunks = archiveChunks(sources, { serverVersion: '4.4.29', toolVersion: 'test' }, stats);
  await pipeline(Readable.from(chunks), createGzip(), createWriteStream(file));
}

function source(collection: string, docs: Uint8Array[], extra: Partial<NamespaceSource['info']> = {}): NamespaceSource {
  return {
    db: 'hearth-dev',
    collection,
    info: { options: {}, indexes: [{ v: new BSON.Int32(2), key: { _id: new BSON.Int32(1) }, name: '_id_' }], collectionName: collection, type: 'collection', ...extra },
    documents: async function* () {
      yield* docs;
    },
  };
}

async function read(file: string): Promise<{ docs: Map<string, Buffer[]>; summary: Awaited<ReturnType<typeof scanArchive>> }> {
  const docs = new Map<string, Buffer[]>();
  const summary = await scanArchive(file, {
    decodeDocuments: true,
    onDocument: (c, bytes) => {
      docs.set(c.ns, [...(docs.get(c.ns) ?? []), Buffer.from(bytes)]);
    },
  });
  return { docs, summary };
}

describe('mongodump archive', () => {
  it('computes the CRC-64 mongodump writes (Go crc64.ECMA)', () => {
    const crc = new Crc64();
    crc.update(Buffer.from('123456789'));
    expect(crc.hex()).toBe('995dc9bbdf1939fa');
  });

  it('round-trips every BSON type byte for byte, with empty collections, views, options and indexes', async () => {
    const file = join(dir, 'round-trip.gz');
    const typed = allTypes();
    const indexes = [
      { v: new BSON.Int32(2), key: { _id: new BSON.Int32(1) }, name: '_id_' },
      { v: new BSON.Int32(2), key: { id: new BSON.Int32(1) }, name: 'id_1', unique: true },
      { v: new BSON.Int32(2), key: { 'focus.reference': new BSON.Int32(1), lastModified: new BSON.Int32(-1) }, name: 'focus_lastModified' },
    ];
    const sources: NamespaceSource[] = [
      source('AllTypes', typed, { indexes, uuid: 'b118c1278baa4e9eafeb14c8e70a8b97' }),
      source('Empty', []),
      source('capped', [BSON.serialize({ _id: 1 })], { options: { capped: true, size: BSON.Long.fromNumber(4096) } }),
      { db: 'hearth-dev', collection: 'recent', info: { options: { viewOn: 'AllTypes', pipeline: [{ $limit: new BSON.Int32(1) }] }, indexes: [], collectionName: 'recent', type: 'view' } },
    ];
    await writeArchive(file, sources);

    const { docs, summary } = await read(file);
    expect(summary.problems).toEqual([]);
    expect(summary.header).toMatchObject({ version: '0.1', server_version: '4.4.29' });
    expect(summary.counts).toEqual({ 'hearth-dev.AllTypes': typed.length, 'hearth-dev.Empty': 0, 'hearth-dev.capped': 1 });
    expect(docs.get('hearth-dev.AllTypes')).toEqual(typed.map((d) => Buffer.from(d)));
    const meta = Object.fromEntries(summary.collections.map((c) => [c.collection, c.info]));
    expect(BSON.EJSON.stringify(meta['AllTypes']?.indexes, { relaxed: false })).toBe(BSON.EJSON.stringify(indexes, { relaxed: false }));
    expect(meta['AllTypes']?.uuid).toBe('b118c1278baa4e9eafeb14c8e70a8b97');
    expect(BSON.EJSON.stringify(meta['capped']?.options, { relaxed: false })).toBe('{"capped":true,"size":{"$numberLong":"4096"}}');
    expect(meta['recent']).toMatchObject({ type: 'view', options: { viewOn: 'AllTypes' } });
  });

  it('reads archives whose namespaces interleave, as parallel mongodump writes them', async () => {
    const a = [BSON.serialize({ _id: 1 }), BSON.serialize({ _id: 2 }), BSON.serialize({ _id: 3 })];
    const b = [BSON.serialize({ _id: 'x' })];
    const crc = (docs: Uint8Array[]): BSON.Long => {
      const c = new Crc64();
      for (const d of docs) c.update(d);
      return c.value();
    };
    const u32 = (n: number): Buffer => Buffer.from(new Uint32Array([n]).buffer);
    const meta = (collection: string): Uint8Array =>
      BSON.serialize({ db: 'd', collection, metadata: `{"indexes":[],"collectionName":"${collection}","type":"collection"}`, size: 0, type: 'collection', futureField: true });
    const head = (collection: string, eof: boolean, c: BSON.Long): Uint8Array => BSON.serialize({ db: 'd', collection, EOF: eof, CRC: c });
    const parts: Uint8Array[] = [
      u32(0x8199e26d),
      BSON.serialize({ concurrent_collections: 4, version: '0.1', server_version: '4.4.29', tool_version: '100.9.4', extra: 'ignored' }),
      meta('a'),
      meta('b'),
      u32(0xffffffff),
      head('a', false, BSON.Long.ZERO), a[0]!, u32(0xffffffff),
      head('b', false, BSON.Long.ZERO), u32(0xffffffff), // an empty segment, as old mongodump wrote for empty buffers
      head('a', false, BSON.Long.ZERO), a[1]!, a[2]!, u32(0xffffffff),
      head('b', false, BSON.Long.ZERO), b[0]!, u32(0xffffffff),
      head('a', true, crc(a)), u32(0xffffffff),
      head('b', true, crc(b)), u32(0xffffffff),
    ];
    const file = join(dir, 'interleaved.gz');
    writeFileSync(file, gzipSync(Buffer.concat(parts)));
    const { docs, summary } = await read(file);
    expect(summary.problems).toEqual([]);
    expect(summary.counts).toEqual({ 'd.a': 3, 'd.b': 1 });
    expect(docs.get('d.a')).toEqual(a.map((d) => Buffer.from(d)));
    // A namespace's end is announced once, after its last document (the load sends its last batch then).
    const events: string[] = [];
    await scanArchive(file, { onDocument: (c) => void events.push(c.ns), onEof: (c) => void events.push(`end of ${c.ns}`) });
    expect(events).toEqual(['d.a', 'd.a', 'd.a', 'd.b', 'end of d.a', 'end of d.b']);

    // The same archive without gzip (mongodump --archive without --gzip) reads the same.
    const plain = join(dir, 'interleaved.archive');
    writeFileSync(plain, Buffer.concat(parts));
    expect((await scanArchive(plain)).counts).toEqual({ 'd.a': 3, 'd.b': 1 });
  });

  it('reads back, byte for byte, documents spanning the reader\'s 256 KiB chunks and documents larger than several of them', async () => {
    const file = join(dir, 'large-documents.gz');
    // Sizes around and across the chunk and scratch-buffer boundaries, in a pseudo-random order.
    const sizes = [10, 65_000, 70_000, 262_000, 262_200, 700_000, 3_000_000, 5, 130_000, 1_000_001];
    const docs = sizes.map((n, i) => BSON.serialize({ _id: new BSON.Int32(i), pad: Buffer.alloc(n, i + 1), tail: `end ${i}` }));
    const many = Array.from({ length: 3000 }, (_, i) => BSON.serialize({ _id: new BSON.Int32(i), s: 'y'.repeat(i % 700) }));
    await writeArchive(file, [source('Big', docs), source('Many', many)]);
    const got = await read(file);
    expect(got.summary.problems).toEqual([]);
    const big = got.docs.get('hearth-dev.Big') ?? [];
    expect(big.map((b) => b.length)).toEqual(docs.map((d) => d.length));
    expect(big.every((b, i) => b.equals(docs[i] as Uint8Array))).toBe(true);
    expect(Buffer.concat(got.docs.get('hearth-dev.Many') ?? []).equals(Buffer.concat(many))).toBe(true);
  });

  describe('damaged archives are reported, not trusted', () => {
    async function good(): Promise<Buffer> {
      const file = join(dir, `good-${Math.random()}.gz`);
      const docs = Array.from({ length: 2000 }, (_, i) => BSON.serialize({ _id: i, name: `record ${i}`, pad: 'x'.repeat(200) }));
      await writeArchive(file, [source('Patient', docs), source('Task', docs.slice(0, 10))]);
      return readFileSync(file);
    }

    async function problemsOf(bytes: Buffer): Promise<string[]> {
      const file = join(dir, `bad-${Math.random()}.gz`);
      writeFileSync(file, bytes);
      return (await scanArchive(file, { decodeDocuments: true })).problems;
    }

    it('a truncated file', async () => {
      const bytes = await good();
      const problems = await problemsOf(bytes.subarray(0, Math.floor(bytes.length / 2)));
      expect(problems.join('\n')).toMatch(/truncated/);
    });

    it('a file with a corrupted byte in the compressed data', async () => {
      const bytes = Buffer.from(await good());
      const at = Math.floor(bytes.length / 2);
      bytes[at] = (bytes[at] as number) ^ 0xff;
      expect((await problemsOf(bytes)).length).toBeGreaterThan(0);
    });

    it('a document changed inside a well-formed gzip (caught by the CRC)', async () => {
      const raw = gunzipSync(await good());
      const at = raw.indexOf(Buffer.from('record 1234'));
      raw.write('RECORD', at, 'latin1');
      expect(await problemsOf(gzipSync(raw))).toEqual([expect.stringMatching(/checksum mismatch in hearth-dev.Patient/)]);
    });

    it('an archive cut at a block boundary (a namespace never closed)', async () => {
      const raw = gunzipSync(await good());
      const eofTask = raw.lastIndexOf(BSON.serialize({ db: 'hearth-dev', collection: 'Task', EOF: true }).subarray(4, 20));
      const cut = raw.subarray(0, eofTask - 4);
      expect((await problemsOf(gzipSync(cut))).join('\n')).toMatch(/Task/);
    });

    it('a file that is not an archive', async () => {
      expect(await problemsOf(gzipSync(Buffer.from('{"not": "an archive"}')))).toEqual([expect.stringMatching(/not a mongodump archive/)]);
      expect((await scanArchive(join(dir, 'missing.gz'))).problems).toEqual(['archive file is missing']);
    });
  });
});
