/**
 * OPENCRVS_VERSION=auto: which OpenCRVS this is, from what its servers hold. Asked once at start-up
 * (the bot, the CLI and the console resolve the profile before they back up or restore).
 *
 * When in doubt it picks the profile that backs up more: a PostgreSQL that cannot be reached then
 * fails loudly in the report instead of being silently left out of the set.
 */
import type { Config } from '../config.ts';
import { withProfile } from '../config.ts';
import type { Logger } from '../log.ts';
import { connectMongo } from '../stores/mongo/client.ts';
import { newPgClient } from '../stores/postgres/index.ts';
import { PROFILES, type ProfileChoice } from './profiles.ts';

/** What the servers hold, as far as the version is concerned; undefined = could not be asked. */
export interface Evidence {
  mongoDatabases: string[] | undefined;
  postgresDatabases: string[] | undefined;
}

async function mongoDatabases(config: Config): Promise<string[] | undefined> {
  try {
    const client = await connectMongo({ url: config.mongo.url, connectTimeoutMs: config.connectTimeoutMs, operationTimeoutMs: config.connectTimeoutMs * 3 });
    try {
      return (await client.db('admin').admin().listDatabases({ nameOnly: true })).databases.map((d) => d.name);
    } finally {
      await client.close();
    }
  } catch {
    return undefined;
  }
}

async function postgresDatabases(config: Config): Promise<string[] | undefined> {
  const c = newPgClient(config, 'postgres', config.connectTimeoutMs * 3);
  try {
    await c.connect();
    return (await c.query<{ name: string }>('SELECT datname AS name FROM pg_database WHERE NOT datistemplate')).rows.map((r) => r.name);
  } catch {
    return undefined;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** The decision, from evidence alone (pure, so every branch is tested). */
export function decide(e: Evidence): ProfileChoice {
  const mongo = e.mongoDatabases;
  const hasPgEvents = e.postgresDatabases?.includes('events') ?? false;
  const pgSays = e.postgresDatabases === undefined ? 'PostgreSQL could not be reached' : hasPgEvents ? 'PostgreSQL has database events' : 'PostgreSQL has no database events';
  if (hasPgEvents) {
    if (mongo?.includes('application-config')) return { profile: PROFILES['v1.9'], source: 'detected', reason: `${pgSays}; MongoDB has application-config (v1.9; v2.0 dropped it)` };
    if (mongo === undefined) return { profile: PROFILES['v1.9'], source: 'detected', reason: `${pgSays}; MongoDB could not be reached` };
    return { profile: PROFILES['v2.0'], source: 'detected', reason: `${pgSays}; MongoDB has no application-config (v2.0)` };
  }
  if (mongo?.includes('openhim-dev')) return { profile: PROFILES['v1.8'], source: 'detected', reason: `${pgSays}; MongoDB has openhim-dev (v1.8 and older)` };
  // No openhim-dev and no events database: a v1.9+ shape whose PostgreSQL is missing or unreachable,
  // or nothing to go by at all. Either way the set must try PostgreSQL, and say so if it fails.
  const mongoSays = mongo === undefined ? 'MongoDB could not be reached' : 'MongoDB has no openhim-dev';
  return { profile: PROFILES['v1.9'], source: 'detected', reason: `${pgSays}; ${mongoSays}: assuming v1.9, so that PostgreSQL is backed up (or its failure reported)` };
}

export async function detectProfile(config: Config): Promise<ProfileChoice> {
  const [mongo, postgres] = await Promise.all([mongoDatabases(config), postgresDatabases(config)]);
  return decide({ mongoDatabases: mongo, postgresDatabases: postgres });
}

/** The configuration with its profile decided: unchanged unless OPENCRVS_VERSION=auto. */
export async function resolveProfile(config: Config, logger?: Logger): Promise<Config> {
  if (config.profile.source !== 'provisional') return config;
  const choice = await detectProfile(config);
  logger?.info({ version: choice.profile.version, reason: choice.reason }, 'OpenCRVS version detected');
  return withProfile(config, choice);
}
