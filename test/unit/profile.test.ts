/** OPENCRVS_VERSION: the profiles, what `auto` decides from the servers' contents, and explicit lists winning. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { decide } from '../../src/profile/detect.ts';
import { configNotes } from '../../src/report/blocks.ts';
import { approvalCard } from '../../src/slack/blocks/approval-card.ts';

const V18 = ['hearth-dev', 'openhim-dev', 'user-mgnt', 'application-config', 'metrics', 'webhooks', 'performance', 'events'];
const V19 = V18.filter((d) => d !== 'openhim-dev');
const V20 = ['hearth-dev', 'events', 'user-mgnt', 'metrics', 'performance'];

describe('version profiles', () => {
  it('each version backs up its own stores and Mongo databases (8 / 7 / 5), PostgreSQL from v1.9', () => {
    const c = (v: string) => loadConfig({ OPENCRVS_VERSION: v, LOG_LEVEL: 'silent' });
    expect(c('v1.8').stores).toEqual(['mongo', 'elasticsearch', 'influxdb', 'minio', 'folders']);
    expect(c('v1.8').mongo.databases).toEqual(V18);
    expect(c('v1.9').stores).toEqual(['mongo', 'postgres', 'elasticsearch', 'influxdb', 'minio', 'folders']);
    expect(c('v1.9').folders.folders).toEqual(['/data/vsexport']);
    expect(c('v1.9').mongo.databases).toEqual(V19);
    expect(c('v2.0').mongo.databases).toEqual(V20);
    expect(c('v2.0').postgres.databases).toEqual(['events']);
  });

  it('explicit lists win over the profile', () => {
    const c = loadConfig({ OPENCRVS_VERSION: 'v1.9', BACKUP_STORES: 'mongo', MONGO_DATABASES: 'user-mgnt', LOG_LEVEL: 'silent' });
    expect(c.stores).toEqual(['mongo']);
    expect(c.mongo.databases).toEqual(['user-mgnt']);
    expect(c.profile.source).toBe('configured');
  });

  it('auto decides from what the servers hold, and says why', () => {
    expect(decide({ mongoDatabases: [...V18, 'admin'], postgresDatabases: ['postgres'] })).toMatchObject({ profile: { version: 'v1.8' }, reason: expect.stringMatching(/openhim-dev/) });
    expect(decide({ mongoDatabases: V19, postgresDatabases: ['postgres', 'events'] })).toMatchObject({ profile: { version: 'v1.9' }, reason: expect.stringMatching(/application-config/) });
    expect(decide({ mongoDatabases: V20, postgresDatabases: ['events'] })).toMatchObject({ profile: { version: 'v2.0' } });
    // An upgrade in progress: leftovers of v1.8 in MongoDB, but the records are already in PostgreSQL.
    expect(decide({ mongoDatabases: V18, postgresDatabases: ['events'] }).profile.version).toBe('v1.9');
  });

  it('auto, when in doubt, keeps PostgreSQL in the set so that a missing one is reported, not skipped', () => {
    for (const e of [
      { mongoDatabases: V19, postgresDatabases: undefined },
      { mongoDatabases: undefined, postgresDatabases: undefined },
      { mongoDatabases: V20, postgresDatabases: ['postgres'] },
    ]) {
      const choice = decide(e);
      expect(choice.profile.stores).toContain('postgres');
      expect(choice.reason).toMatch(/PostgreSQL (could not be reached|has no database events)/);
    }
  });

  it('a bad OPENCRVS_VERSION or PostgreSQL setting stops start-up naming the variable', () => {
    expect(() => loadConfig({ OPENCRVS_VERSION: 'v3', LOG_LEVEL: 'silent' })).toThrow(/OPENCRVS_VERSION/);
    expect(() => loadConfig({ POSTGRES_URL: 'mysql://x', LOG_LEVEL: 'silent' })).toThrow(/POSTGRES_URL must start with postgres:\/\//);
    expect(() => loadConfig({ POSTGRES_DATABASES: 'events;drop', LOG_LEVEL: 'silent' })).toThrow(/POSTGRES_DATABASES has an invalid database name/);
    expect(() => loadConfig({ POSTGRES_RESTORE_SCHEMAS: 'App-1', LOG_LEVEL: 'silent' })).toThrow(/POSTGRES_RESTORE_SCHEMAS/);
    expect(() => loadConfig({ POSTGRES_EXEC: 'kubectl', LOG_LEVEL: 'silent' })).toThrow(/POSTGRES_EXEC/);
  });
});

describe('ES_BACKUP=none (upstream rebuilds Elasticsearch by the reindex)', () => {
  it('leaves Elasticsearch out of the set, and refuses a contradicting BACKUP_STORES', () => {
    expect(loadConfig({ OPENCRVS_VERSION: 'v2.0', ES_BACKUP: 'none', LOG_LEVEL: 'silent' }).stores).toEqual(['mongo', 'postgres', 'influxdb', 'minio', 'folders']);
    expect(() => loadConfig({ ES_BACKUP: 'none', BACKUP_STORES: 'mongo,elasticsearch', LOG_LEVEL: 'silent' })).toThrow(/BACKUP_STORES lists elasticsearch while ES_BACKUP=none/);
  });

  it('the report and the approval card say that Elasticsearch is rebuilt, not restored', () => {
    const notes = configNotes(loadConfig({ ES_BACKUP: 'none', LOG_LEVEL: 'silent' }));
    expect(notes).toEqual([expect.stringMatching(/Elasticsearch is not backed up \(ES_BACKUP=none\).*rebuilds its indices from PostgreSQL with the reindex/)]);
    const now = Date.parse('2026-11-26T12:00:00Z');
    const card = approvalCard(
      {
        id: 'restore-x', label: '2026-11-26', manifestSha256: 'b'.repeat(64), requestedBy: 'U1', stores: undefined, channel: 'C1', ts: '1.2', createdAt: now, expiresAt: now + 60_000,
        required: 2, allowSelf: false, status: 'pending', approvers: [], decidedBy: undefined, decidedAt: undefined, reason: undefined,
        view: { setCreatedAt: '2026-11-26T00:00:00Z', location: 'local', bytes: 1, comparison: [], untouched: [], notes },
      },
      now,
    );
    expect(JSON.stringify(card.blocks)).toContain('Elasticsearch is not backed up (ES_BACKUP=none)');
    expect(configNotes({ elasticsearch: { backup: 'snapshot' } })).toEqual([]);
  });
});
