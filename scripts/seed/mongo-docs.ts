/** Document builders for the MongoDB seed: FHIR-like hearth records and the services' own collections. */
import { Long, ObjectId, type Document } from 'mongodb';
import type { Rng } from './rng.ts';

const BASE = Date.UTC(2024, 0, 1);
const FIRST = ['Aisha', 'Kofi', 'Mariam', 'Chanda', 'Tendai', 'Emmanuel', 'Grace', 'Joseph', 'Fatima', 'Mwila', 'Nala', 'Zuri'];
const LAST = ['Banda', 'Mulenga', 'Phiri', 'Tembo', 'Zulu', 'Mwale', 'Chilufya', 'Lungu', 'Daka', 'Sakala'];
const DISTRICTS = ['Ibombo', 'Isamba', 'Itambo', 'Ezhi', 'Ilanga', 'Irundu', 'Zobwe', 'Afue', 'Embe', 'Esewa'];
const STATUSES = ['IN_PROGRESS', 'DECLARED', 'VALIDATED', 'REGISTERED', 'CERTIFIED', 'REJECTED'];

export function objectId(rng: Rng): ObjectId {
  return new ObjectId(rng.hex(24));
}

export function uuid(rng: Rng): string {
  const h = rng.hex(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function date(rng: Rng, days = 365): Date {
  return new Date(BASE + rng.int(0, days * 86_400) * 1000);
}

export function patient(rng: Rng): Document {
  const id = uuid(rng);
  return {
    _id: objectId(rng),
    resourceType: 'Patient',
    id,
    active: true,
    name: [{ use: 'en', given: [rng.pick(FIRST)], family: [rng.pick(LAST)] }],
    gender: rng.pick(['male', 'female', 'unknown']),
    birthDate: date(rng, 3650).toISOString().slice(0, 10),
    address: [{ type: 'PRIMARY_ADDRESS', district: rng.pick(DISTRICTS), country: 'FAR', line: [`${rng.int(1, 300)} Farajaland Rd`] }],
    identifier: [{ type: { coding: [{ system: 'http://opencrvs.org/specs/identifier-type', code: 'NATIONAL_ID' }] }, value: rng.hex(10) }],
    meta: { lastUpdated: date(rng).toISOString() },
  };
}

export function composition(rng: Rng, patientId: string, trackingId: string): Document {
  return {
    _id: objectId(rng),
    resourceType: 'Composition',
    id: uuid(rng),
    identifier: { system: 'urn:ietf:rfc:3986', value: trackingId },
    status: 'final',
    type: { coding: [{ system: 'http://opencrvs.org/doc-types', code: 'birth-declaration' }], text: 'Birth Declaration' },
    class: { coding: [{ system: 'http://opencrvs.org/doc-classes', code: 'crvs-document' }] },
    subject: {},
    date: date(rng).toISOString(),
    title: 'Birth Declaration',
    section: [
      { title: 'Child details', code: { coding: [{ code: 'child-details' }] }, entry: [{ reference: `Patient/${patientId}` }] },
      { title: 'Mother details', code: { coding: [{ code: 'mother-details' }] }, entry: [{ reference: `Patient/${uuid(rng)}` }] },
    ],
  };
}

export function task(rng: Rng, compositionId: string, trackingId: string): Document {
  const lastModified = date(rng);
  return {
    _id: objectId(rng),
    resourceType: 'Task',
    id: uuid(rng),
    status: 'ready',
    intent: 'proposal',
    code: { coding: [{ system: 'http://opencrvs.org/specs/types', code: 'BIRTH' }] },
    focus: { reference: `Composition/${compositionId}` },
    identifier: [
      { system: 'http://opencrvs.org/specs/id/birth-tracking-id', value: trackingId },
      { system: 'http://opencrvs.org/specs/id/birth-registration-number', value: `2024${rng.hex(8).toUpperCase()}` },
    ],
    extension: [
      { url: 'http://opencrvs.org/specs/extension/contact-person', valueString: 'MOTHER' },
      { url: 'http://opencrvs.org/specs/extension/regLastOffice', valueReference: { reference: `Location/${uuid(rng)}` } },
    ],
    lastModified: lastModified.toISOString(),
    businessStatus: { coding: [{ system: 'http://opencrvs.org/specs/reg-status', code: rng.pick(STATUSES) }] },
    meta: { lastUpdated: lastModified.toISOString(), versionId: uuid(rng) },
  };
}

export function encounter(rng: Rng, compositionId: string): Document {
  return {
    _id: objectId(rng),
    resourceType: 'Encounter',
    id: uuid(rng),
    status: 'finished',
    location: [{ location: { reference: `Location/${uuid(rng)}` } }],
    partOf: { reference: `Composition/${compositionId}` },
  };
}

export function observation(rng: Rng, encounterId: string): Document {
  const weight = rng.int(1800, 4800) / 1000;
  return {
    _id: objectId(rng),
    resourceType: 'Observation',
    id: uuid(rng),
    status: 'final',
    context: { reference: `Encounter/${encounterId}` },
    code: { coding: [{ system: 'http://loinc.org', code: '3141-9', display: 'Body weight Measured' }] },
    valueQuantity: { value: weight, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
    effectiveDateTime: date(rng),
  };
}

export function transaction(rng: Rng, channelId: ObjectId): Document {
  const start = date(rng);
  return {
    _id: objectId(rng),
    channelID: channelId,
    clientID: objectId(rng),
    clientIP: `10.0.${rng.int(0, 255)}.${rng.int(1, 254)}`,
    request: { host: 'gateway', port: '7001', path: rng.pick(['/fhir', '/graphql', '/notification']), method: 'POST', timestamp: start },
    response: { status: rng.pick([200, 200, 200, 201, 400, 500]), timestamp: new Date(start.getTime() + rng.int(5, 3000)) },
    status: rng.pick(['Successful', 'Successful', 'Failed', 'Completed']),
    canRerun: true,
    autoRetry: false,
    wasRerun: false,
  };
}

export function user(rng: Rng, i: number, roles: readonly string[]): Document {
  const given = rng.pick(FIRST);
  const family = rng.pick(LAST);
  return {
    _id: objectId(rng),
    name: [{ use: 'en', given: [given], family }],
    username: `${given.charAt(0).toLowerCase()}.${family.toLowerCase()}${i}`,
    mobile: `+2609${String(rng.int(10_000_000, 99_999_999))}`,
    emailForNotification: `${given.toLowerCase()}.${i}@example.org`,
    role: rng.pick(roles),
    practitionerId: uuid(rng),
    primaryOfficeId: uuid(rng),
    passwordHash: rng.hex(128),
    salt: rng.hex(32),
    status: rng.pick(['active', 'active', 'active', 'pending', 'deactivated']),
    securityQuestionAnswers: [],
    creationDate: Long.fromNumber(BASE + i * 60_000),
    __v: 0,
  };
}

export function event(rng: Rng): Document {
  const created = date(rng);
  const actions = ['CREATE', 'DECLARE', 'VALIDATE', 'REGISTER'].slice(0, rng.int(1, 4)).map((type, k) => ({
    id: uuid(rng),
    type,
    createdAt: new Date(created.getTime() + k * 3_600_000).toISOString(),
    createdBy: uuid(rng),
    createdAtLocation: uuid(rng),
    status: 'Accepted',
    // OpenCRVS v1.8 uses dotted keys ("child.firstname") here; FerretDB rejects dots in keys, so they are nested.
    declaration: type === 'DECLARE' ? { child: { firstname: rng.pick(FIRST), surname: rng.pick(LAST), weight: rng.int(18, 48) / 10 } } : {},
  }));
  return { _id: objectId(rng), id: uuid(rng), type: rng.pick(['birth', 'death', 'tennis-club-membership']), createdAt: created.toISOString(), updatedAt: created.toISOString(), trackingId: rng.hex(7).toUpperCase(), actions };
}
