/**
 * Point-in-time recovery benchmark (not a test): how much WAL — and so archive disk — a day costs.
 * On the PostgreSQL 17 of `npm run services -- up`:
 *   - the WAL written by seeding an OpenCRVS-shaped `events` database at each scale (a day whose
 *     registrations equal the seed's data), minus what CREATE DATABASE alone writes;
 *   - the WAL of the archive's heartbeat (one tiny commit a minute: a quiet day's floor).
 * The archive stores whole 16 MB segments, so disk = WAL rounded up to segments.
 *
 *   npx tsx bench/pitr-wal.ts [--scales 1,10]
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { newPgClient } from '../src/stores/postgres/index.ts';
import { servicesEnv } from '../scripts/services/harness.ts';
import { seedPostgres } from '../scripts/seed/postgres.ts';

const DB = 'bench_pitr_events';
const MB = 1024 * 1024;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { scales: { type: 'string', default: '1,10' } } });
  const scales = (values.scales ?? '1').split(',').map(Number);
  const config = loadConfig({ ...servicesEnv(), POSTGRES_DATABASES: DB, LOG_LEVEL: 'silent' });
  const c = newPgClient(config, 'postgres');
  await c.connect();
  const lsn = async (): Promise<bigint> => {
    const r = await c.query<{ b: string }>("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::text AS b");
    return BigInt(r.rows[0]?.b ?? '0');
  };
  try {
    let t = await lsn();
    await c.query(`CREATE DATABASE ${DB}_probe`);
    await c.query(`DROP DATABASE ${DB}_probe`);
    const createDb = Number((await lsn()) - t);
    for (const scale of scales) {
      t = await lsn();
      const counts = await seedPostgres(config, { scale, seed: 11 });
      const wal = Number((await lsn()) - t) - createDb;
      const events = counts[`${DB}.app.events`] ?? 0;
      const actions = counts[`${DB}.app.event_actions`] ?? 0;
      console.log(`scale ${scale}: ${events} events, ${actions} actions → ${(wal / MB).toFixed(1)} MB of WAL (${Math.ceil(wal / (16 * MB))} segments of 16 MB); ${(wal / Math.max(1, events) / 1024).toFixed(1)} KiB per event`);
    }
    t = await lsn();
    const beats = 60;
    for (let i = 0; i < beats; i++) await c.query('SELECT pg_current_xact_id(), now()');
    const perBeat = Number((await lsn()) - t) / beats;
    console.log(`heartbeat: ${perBeat.toFixed(0)} bytes of WAL each → ${((perBeat * 1440) / 1024).toFixed(0)} KiB a day at one a minute`);
    await c.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  } finally {
    await c.end();
  }
}

await main();
