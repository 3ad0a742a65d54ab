/**
 * Seeds InfluxDB with OpenCRVS-shaped metrics: database INFLUX_DATABASE (`ocrvs`) with the
 * measurements the metrics service writes (birth_registration, death_registration,
 * declarations_started, user_audit_event), tagged by location and status, spread over 30 days
 * (several weekly shards). Deterministic for a seed, size linear in scale; the database is dropped
 * first. Counts are keyed like the adapter's (`<measurement>.series`, `<measurement>.points`).
 */
import type { Config } from '../../src/config.ts';
import { countKeys } from '../../src/stores/influxdb/counts.ts';
import { influxHttpFor, quoteIdent } from '../../src/stores/influxdb/http.ts';
import { createRng, type Rng } from './rng.ts';
import type { SeedCounts, Seeder } from './types.ts';

const BATCH = 5000;
/** Points lie in the 30 days before this fixed instant (never "now": the data must be the same every time). */
const END = Date.UTC(2026, 0, 1);
const SPAN_MS = 30 * 86_400_000;

const DISTRICTS: Record<string, string[]> = {
  Central: ['Ibombo', 'Isamba', 'Itambo', 'Ezhi'],
  Chuminga: ['Ama', 'Nsali', 'Soka'],
  Pualula: ['Afue', 'Embe', 'Esewa'],
  Sulaka: ['Ilanga', 'Irundu', 'Zobwe'],
};
const STATES = Object.keys(DISTRICTS);

interface Measurement {
  name: string;
  /** Points at scale 1. */
  perScale: number;
  tags(rng: Rng): Record<string, string>;
  fields(rng: Rng, i: number): Record<string, string | number>;
}

function place(rng: Rng): Record<string, string> {
  const state = rng.pick(STATES);
  const district = rng.pick(DISTRICTS[state] ?? []);
  return { locationLevel2: `Location/${state}`, locationLevel3: `Location/${district}`, officeLocation: `Location/${district}-office` };
}

const PRACTITIONERS = Array.from({ length: 24 }, (_, i) => `Practitioner/${(0x5a17 + i * 977).toString(16).padStart(8, '0')}`);

const MEASUREMENTS: Measurement[] = [
  {
    name: 'birth_registration',
    perScale: 2400,
    tags: (rng) => ({ regStatus: rng.pick(['DECLARED', 'VALIDATED', 'REGISTERED']), gender: rng.pick(['male', 'female']), timeLabel: rng.pick(['withinTarget', 'withinLate', 'after']), ...place(rng) }),
    fields: (rng) => ({ compositionId: rng.hex(32), ageInDays: rng.int(0, 3650) }),
  },
  {
    name: 'death_registration',
    perScale: 800,
    tags: (rng) => ({ regStatus: rng.pick(['DECLARED', 'REGISTERED']), gender: rng.pick(['male', 'female']), mannerOfDeath: rng.pick(['NATURAL_CAUSES', 'ACCIDENT', 'MANNER_UNDETERMINED']), ...place(rng) }),
    fields: (rng) => ({ compositionId: rng.hex(32), ageInYears: rng.int(0, 105) }),
  },
  {
    name: 'declarations_started',
    perScale: 3000,
    tags: (rng) => ({ eventType: rng.pick(['BIRTH', 'DEATH']), practitionerRole: rng.pick(['FIELD_AGENT', 'REGISTRATION_AGENT', 'LOCAL_REGISTRAR']), ...place(rng) }),
    fields: (rng) => ({ compositionId: rng.hex(32), status: rng.pick(['DECLARED', 'IN_PROGRESS', 'VALIDATED']) }),
  },
  {
    name: 'user_audit_event',
    perScale: 1800,
    tags: (rng) => ({ action: rng.pick(['LOGGED_IN', 'LOGGED_OUT', 'VIEWED', 'REGISTERED', 'CERTIFIED']), practitionerId: rng.pick(PRACTITIONERS) }),
    fields: (rng, i) => ({
      data: JSON.stringify({ compositionId: rng.hex(32), seq: i }),
      ipAddress: `10.0.${rng.int(0, 255)}.${rng.int(1, 254)}`,
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) "OpenCRVS" client',
    }),
  },
];

/** Line protocol escaping: tag keys/values and measurement names escape commas, spaces and '='. */
function escTag(s: string): string {
  return s.replace(/([,= \\])/g, '\\$1');
}

function fieldValue(v: string | number): string {
  if (typeof v === 'number') return `${v}i`;
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function line(name: string, tags: Record<string, string>, fields: Record<string, string | number>, ms: number): string {
  // Sorted tags are what InfluxDB would store anyway; they also make the series key stable.
  const tagText = Object.keys(tags).sort().map((k) => `,${escTag(k)}=${escTag(tags[k] as string)}`).join('');
  const fieldText = Object.entries(fields).map(([k, v]) => `${escTag(k)}=${fieldValue(v)}`).join(',');
  return `${escTag(name)}${tagText} ${fieldText} ${ms}`;
}

export const seedInfluxdb: Seeder = async (config: Config, options) => {
  const db = config.influx.database;
  const http = influxHttpFor(config);
  await http.query(`DROP DATABASE ${quoteIdent(db)}`, { write: true, long: true });
  await http.query(`CREATE DATABASE ${quoteIdent(db)}`, { write: true });
  const rng = createRng(options.seed);
  const counts: SeedCounts = {};
  for (const m of MEASUREMENTS) {
    const n = Math.max(1, Math.round(m.perScale * options.scale));
    const step = Math.floor(SPAN_MS / n);
    if (step < 1) throw new Error(`scale ${options.scale} is too large for 30 days of ms timestamps`);
    const series = new Set<string>();
    let batch: string[] = [];
    for (let i = 0; i < n; i++) {
      const tags = m.tags(rng);
      series.add(JSON.stringify(Object.entries(tags).sort()));
      // One point per step: timestamps never collide, so every line is its own point.
      const ms = END - SPAN_MS + i * step + rng.int(0, step - 1);
      batch.push(line(m.name, tags, m.fields(rng, i), ms));
      if (batch.length >= BATCH) {
        await http.write(db, batch.join('\n'));
        batch = [];
      }
    }
    if (batch.length > 0) await http.write(db, batch.join('\n'));
    const k = countKeys(m.name);
    counts[k.series] = series.size;
    counts[k.points] = n;
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
};
