/**
 * Seeds MongoDB with an OpenCRVS-shaped deployment: the databases of config.mongo.databases
 * (hearth-dev, openhim-dev, user-mgnt, application-config, metrics, webhooks, performance, events),
 * each with its migrate-mongo `changelog`. Deterministic for a seed; size linear in scale.
 * Every database is dropped first, so seeding twice gives the same state.
 */
import { Long, MongoClient, type Db, type Document, type IndexDescription } from 'mongodb';
import { createRng, type Rng } from './rng.ts';
import * as d from './mongo-docs.ts';
import type { SeedCounts, Seeder } from './types.ts';

const BATCH = 500;
const ROLES = ['FIELD_AGENT', 'REGISTRATION_AGENT', 'LOCAL_REGISTRAR', 'LOCAL_SYSTEM_ADMIN', 'NATIONAL_SYSTEM_ADMIN', 'PERFORMANCE_MANAGEMENT', 'NATIONAL_REGISTRAR', 'HOSPITAL_CLERK'];

interface Collection {
  name: string;
  indexes?: IndexDescription[];
  /** Collection options (capped etc.); only options FerretDB also accepts. */
  options?: Document;
  docs: (rng: Rng) => Iterable<Document>;
}

function* times(n: number, make: (i: number) => Document): Iterable<Document> {
  for (let i = 0; i < n; i++) yield make(i);
}

function changelog(rng: Rng, db: string, n: number): Collection {
  return {
    name: 'changelog',
    docs: () =>
      times(n, (i) => ({
        _id: d.objectId(rng),
        fileName: `${String(20230101000000 + i * 1000101).slice(0, 14)}-${db}-migration-${i + 1}.js`,
        appliedAt: new Date(Date.UTC(2023, 0, 1) + i * 86_400_000),
      })),
  };
}

function hearth(rng: Rng, n: number): Collection[] {
  // Records are built together so references between them are consistent.
  const patients: Document[] = [];
  const compositions: Document[] = [];
  const tasks: Document[] = [];
  const encounters: Document[] = [];
  const observations: Document[] = [];
  for (let i = 0; i < n; i++) {
    const p = d.patient(rng);
    const trackingId = `B${rng.hex(6).toUpperCase()}`;
    const c = d.composition(rng, String(p['id']), trackingId);
    const e = d.encounter(rng, String(c['id']));
    patients.push(p);
    compositions.push(c);
    tasks.push(d.task(rng, String(c['id']), trackingId));
    encounters.push(e);
    observations.push(d.observation(rng, String(e['id'])), d.observation(rng, String(e['id'])));
  }
  const byId: IndexDescription = { key: { id: 1 }, name: 'id_1', unique: true };
  return [
    { name: 'Patient', indexes: [byId, { key: { 'identifier.value': 1 }, name: 'identifier.value_1' }], docs: () => patients },
    { name: 'Composition', indexes: [byId, { key: { 'identifier.value': 1 }, name: 'identifier.value_1' }], docs: () => compositions },
    { name: 'Task', indexes: [byId, { key: { 'focus.reference': 1 }, name: 'focus.reference_1' }, { key: { 'businessStatus.coding.code': 1, lastModified: -1 }, name: 'status_lastModified' }], docs: () => tasks },
    { name: 'Encounter', indexes: [byId], docs: () => encounters },
    { name: 'Observation', indexes: [byId, { key: { 'context.reference': 1 }, name: 'context.reference_1' }], docs: () => observations },
    { name: 'Practitioner', indexes: [byId], docs: () => times(Math.max(5, Math.round(n / 8)), () => ({ _id: d.objectId(rng), resourceType: 'Practitioner', id: d.uuid(rng), active: true })) },
    changelog(rng, 'hearth', 12),
  ];
}

function plan(rng: Rng, scale: number): Record<string, Collection[]> {
  const n = (base: number): number => Math.max(1, Math.round(base * scale));
  const channels = [d.objectId(rng), d.objectId(rng), d.objectId(rng)];
  return {
    'hearth-dev': hearth(rng, n(300)),
    'openhim-dev': [
      { name: 'channels', docs: () => channels.map((_id, i) => ({ _id, name: `channel-${i}`, urlPattern: `^/ch${i}/.*$`, routes: [{ name: 'route', host: 'gateway', port: 7001, primary: true }], status: 'enabled' })) },
      { name: 'transactions', indexes: [{ key: { 'request.timestamp': -1 }, name: 'request.timestamp_-1' }, { key: { channelID: 1 }, name: 'channelID_1' }], docs: () => times(n(400), () => d.transaction(rng, rng.pick(channels))) },
      { name: 'events', options: { capped: true, size: 4 * 1024 * 1024 }, docs: () => times(n(50), (i) => ({ _id: d.objectId(rng), channelID: rng.pick(channels), event: 'end', name: `route-${i % 3}`, created: new Date(Date.UTC(2024, 1, 1) + i * 1000) })) },
      changelog(rng, 'openhim', 3),
    ],
    'user-mgnt': [
      { name: 'roles', indexes: [{ key: { value: 1 }, name: 'value_1', unique: true }], docs: () => ROLES.map((value, i) => ({ _id: d.objectId(rng), value, types: ['ENTREPENEUR', 'DATA_ENTRY_CLERK'].slice(0, 1 + (i % 2)), active: true })) },
      { name: 'users', indexes: [{ key: { username: 1 }, name: 'username_1', unique: true }, { key: { practitionerId: 1 }, name: 'practitionerId_1' }], docs: () => times(n(60), (i) => d.user(rng, i, ROLES)) },
      changelog(rng, 'user-mgnt', 9),
    ],
    'application-config': [
      { name: 'configs', docs: () => [{ _id: d.objectId(rng), APPLICATION_NAME: 'Farajaland CRS', COUNTRY_LOGO: { fileName: 'logo.png', file: `data:image/png;base64,${rng.hex(64)}` }, BIRTH: { REGISTRATION_TARGET: 30, LATE_REGISTRATION_TARGET: 365, FEE: { ON_TIME: 0, LATE: 5.5, DELAYED: 15 } }, CURRENCY: { isoCode: 'ZMW', languagesAndCountry: ['en-ZM'] } }] },
      { name: 'certificates', indexes: [{ key: { event: 1, status: 1 }, name: 'event_1_status_1' }], docs: () => ['birth', 'death', 'marriage'].map((event) => ({ _id: d.objectId(rng), svgCode: `<svg>${rng.hex(200)}</svg>`, svgFilename: `${event}-certificate.svg`, event, status: 'ACTIVE', svgDateCreated: Long.fromNumber(1_700_000_000_000), svgDateUpdated: Long.fromNumber(1_700_000_000_000) })) },
      changelog(rng, 'application-config', 6),
    ],
    metrics: [changelog(rng, 'metrics', 4)],
    webhooks: [
      { name: 'webhooks', docs: () => times(2, (i) => ({ _id: d.objectId(rng), webhookId: d.uuid(rng), address: `https://hooks.example.org/${i}`, createdBy: { client_id: d.uuid(rng), name: 'National ID', type: 'nationalId' }, sha_secret: rng.hex(40), trigger: 'BIRTH_REGISTERED', createdAt: new Date(Date.UTC(2024, 2, i + 1)) })) },
      changelog(rng, 'webhooks', 2),
    ],
    performance: [
      { name: 'populations', docs: () => times(10, (i) => ({ _id: d.objectId(rng), locationId: d.uuid(rng), year: 2020 + (i % 4), male: rng.int(10_000, 90_000), female: rng.int(10_000, 90_000), crudeBirthRate: rng.int(200, 450) / 10 })) },
      { name: 'registrations', indexes: [{ key: { createdAt: -1 }, name: 'createdAt_-1' }], docs: () => times(n(200), () => ({ _id: d.objectId(rng), compositionId: d.uuid(rng), event: rng.pick(['birth', 'death']), status: 'REGISTERED', createdAt: new Date(Date.UTC(2024, 0, 1) + rng.int(0, 31_536_000) * 1000), ageInDays: rng.int(0, 4000) })) },
      changelog(rng, 'performance', 3),
    ],
    events: [
      { name: 'events', indexes: [{ key: { id: 1 }, name: 'id_1', unique: true }, { key: { trackingId: 1 }, name: 'trackingId_1' }], docs: () => times(n(250), () => d.event(rng)) },
      { name: 'locations', docs: () => times(20, (i) => ({ _id: d.objectId(rng), id: d.uuid(rng), name: `Office ${i}`, parentId: null, validUntil: null })) },
      changelog(rng, 'events', 5),
    ],
  };
}

async function fill(db: Db, c: Collection, rng: Rng): Promise<number> {
  await db.createCollection(c.name, c.options ?? {});
  if (c.indexes && c.indexes.length > 0) await db.collection(c.name).createIndexes(c.indexes);
  let batch: Document[] = [];
  let count = 0;
  for (const doc of c.docs(rng)) {
    batch.push(doc);
    if (batch.length >= BATCH) {
      await db.collection(c.name).insertMany(batch, { ordered: true });
      count += batch.length;
      batch = [];
    }
  }
  if (batch.length > 0) await db.collection(c.name).insertMany(batch, { ordered: true });
  return count + batch.length;
}

export const seedMongo: Seeder = async (config, options) => {
  const client = new MongoClient(config.mongo.url, { serverSelectionTimeoutMS: config.connectTimeoutMs });
  const counts: SeedCounts = {};
  try {
    await client.connect();
    const rng = createRng(options.seed);
    const all = plan(rng, options.scale);
    for (const name of config.mongo.databases) await client.db(name).dropDatabase();
    for (const name of config.mongo.databases) {
      // A configured database this seed does not know gets only its migrations changelog.
      const collections = all[name] ?? [changelog(rng, name, 1)];
      const db = client.db(name);
      for (const c of collections) counts[`${name}.${c.name}`] = await fill(db, c, rng);
    }
  } finally {
    await client.close();
  }
  return counts;
};
