/**
 * Seeds Elasticsearch with OpenCRVS-shaped search documents: the legacy index `ocrvs` and the
 * newer `ocrvs-1`, `ocrvs-2` (declarations of births and deaths with names, dates, tracking ids).
 * Deterministic for a seed, size linear in scale; those indices are deleted first. Documents are
 * generated lazily and bulk-indexed, never held all at once. Counts are keyed by index name.
 */
import type { Config } from '../../src/config.ts';
import { connect } from '../../src/stores/elasticsearch/connection.ts';
import { docCounts } from '../../src/stores/elasticsearch/indices.ts';
import { createRng, type Rng } from './rng.ts';
import type { SeedCounts, Seeder } from './types.ts';

/** Index → documents at scale 1. */
const INDICES: ReadonlyArray<[string, number]> = [
  ['ocrvs', 1200],
  ['ocrvs-1', 600],
  ['ocrvs-2', 400],
];
/** Dates lie in the two years before this fixed instant, so the data is the same every time. */
const END = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;

const FIRST = ['Chipo', 'Mwansa', 'Thandiwe', 'Kondwani', 'Mutale', 'Bwalya', 'Chanda', 'Lubinda', 'Nalukui', 'Mulenga', 'Ireti', 'Tendai'];
const FAMILY = ['Banda', 'Phiri', 'Mwale', 'Tembo', 'Zulu', 'Lungu', 'Daka', 'Sakala', 'Mumba', 'Chilufya'];
const DISTRICTS = ['Ibombo', 'Isamba', 'Itambo', 'Ezhi', 'Ilanga', 'Irundu', 'Zobwe', 'Afue', 'Embe'];
const STATUSES = ['IN_PROGRESS', 'DECLARED', 'VALIDATED', 'REGISTERED', 'CERTIFIED', 'REJECTED'] as const;

const MAPPINGS = {
  properties: {
    compositionId: { type: 'keyword' },
    compositionType: { type: 'keyword' },
    event: { type: 'keyword' },
    type: { type: 'keyword' },
    trackingId: { type: 'keyword' },
    registrationNumber: { type: 'keyword' },
    contactNumber: { type: 'keyword' },
    dateOfDeclaration: { type: 'date' },
    createdAt: { type: 'date' },
    modifiedAt: { type: 'date' },
    childFirstNames: { type: 'text' },
    childFamilyName: { type: 'text' },
    childDoB: { type: 'date' },
    gender: { type: 'keyword' },
    motherFirstNames: { type: 'text' },
    motherFamilyName: { type: 'text' },
    deceasedFirstNames: { type: 'text' },
    deceasedFamilyName: { type: 'text' },
    deathDate: { type: 'date' },
    informantFirstNames: { type: 'text' },
    informantFamilyName: { type: 'text' },
    eventLocationId: { type: 'keyword' },
    declarationLocationId: { type: 'keyword' },
    createdBy: { type: 'keyword' },
  },
} as const;

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** One declaration as OpenCRVS's search service indexes it. */
function declaration(rng: Rng, i: number): Record<string, unknown> & { compositionId: string } {
  const birth = rng.next() < 0.7;
  const declared = END - rng.int(1, 730) * DAY - rng.int(0, DAY - 1);
  const status = rng.pick(STATUSES);
  const registered = status === 'REGISTERED' || status === 'CERTIFIED';
  const district = rng.pick(DISTRICTS);
  const trackingId = `${birth ? 'B' : 'D'}${rng.hex(6).toUpperCase()}`;
  const doc: Record<string, unknown> & { compositionId: string } = {
    compositionId: `${rng.hex(8)}-${rng.hex(4)}-4${rng.hex(3)}-a${rng.hex(3)}-${rng.hex(12)}`,
    compositionType: birth ? 'birth-declaration' : 'death-declaration',
    event: birth ? 'Birth' : 'Death',
    type: status,
    trackingId,
    contactNumber: `+2607${String(rng.int(0, 99_999_999)).padStart(8, '0')}`,
    dateOfDeclaration: new Date(declared).toISOString(),
    createdAt: new Date(declared).toISOString(),
    modifiedAt: new Date(declared + rng.int(0, 30) * DAY).toISOString(),
    gender: rng.pick(['male', 'female']),
    informantFirstNames: rng.pick(FIRST),
    informantFamilyName: rng.pick(FAMILY),
    eventLocationId: `Location/${district}-hospital`,
    declarationLocationId: `Location/${district}-office`,
    createdBy: `Practitioner/${(0x5a17 + rng.int(0, 23) * 977).toString(16).padStart(8, '0')}`,
    sequence: i,
  };
  if (registered) doc['registrationNumber'] = `${new Date(declared).getUTCFullYear()}${trackingId}`;
  if (birth) {
    const family = rng.pick(FAMILY);
    Object.assign(doc, {
      childFirstNames: rng.pick(FIRST),
      childFamilyName: family,
      childDoB: isoDay(declared - rng.int(0, 365) * DAY),
      motherFirstNames: rng.pick(FIRST),
      motherFamilyName: family,
    });
  } else {
    Object.assign(doc, {
      deceasedFirstNames: rng.pick(FIRST),
      deceasedFamilyName: rng.pick(FAMILY),
      deathDate: isoDay(declared - rng.int(0, 60) * DAY),
    });
  }
  return doc;
}

async function* documents(seed: number, salt: number, count: number): AsyncGenerator<Record<string, unknown> & { compositionId: string }> {
  const rng = createRng(seed * 1009 + salt);
  for (let i = 0; i < count; i++) yield declaration(rng, i);
}

export const seedElasticsearch: Seeder = async (config: Config, { scale, seed }) => {
  const { client } = await connect(config.elasticsearch, config.connectTimeoutMs);
  try {
    const names = INDICES.map(([name]) => name);
    await client.indices.delete({ index: names.join(','), ignore_unavailable: true });
    for (const [salt, [index, perScale]] of INDICES.entries()) {
      // One node: replicas could never be allocated.
      await client.indices.create({ index, settings: { number_of_shards: 1, number_of_replicas: 0 }, mappings: MAPPINGS });
      const count = Math.max(1, Math.round(perScale * scale));
      let dropped = 0;
      await client.helpers.bulk({
        datasource: documents(seed, salt, count),
        onDocument: (doc) => ({ index: { _index: index, _id: doc.compositionId } }),
        onDrop: () => {
          dropped += 1;
        },
        flushBytes: 1_000_000,
        concurrency: 2,
        refreshOnCompletion: index,
      });
      if (dropped > 0) throw new Error(`elasticsearch seed: ${dropped} documents of ${index} were rejected`);
    }
    const counts: SeedCounts = await docCounts(client, names);
    return counts;
  } finally {
    await client.close();
  }
};
