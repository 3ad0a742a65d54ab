/**
 * What differs between OpenCRVS versions for backup and restore, in one table (see
 * shared/reference/opencrvs-current-versions.md). Everything version-dependent reads a Profile;
 * nothing else asks which version this is.
 */
import type { StoreName } from '../stores/types.ts';

export type OpencrvsVersion = 'v1.8' | 'v1.9' | 'v2.0';

export const OPENCRVS_VERSIONS: readonly OpencrvsVersion[] = ['v1.8', 'v1.9', 'v2.0'];

export interface Profile {
  version: OpencrvsVersion;
  /** The stores a set of this version holds. */
  stores: StoreName[];
  /** MongoDB databases backed up by OpenCRVS's own script of this version. */
  mongoDatabases: string[];
  /** PostgreSQL databases (v1.9+): `events`. */
  postgresDatabases: string[];
  /** Folders OpenCRVS's script tars (`/data/vsexport`). */
  folders: string[];
  /** After a restore and its migrations, OpenCRVS's search reindex (v1.9's restore.sh, last step). */
  reindexAfterRestore: boolean;
}

const MONGO_V18 = ['hearth-dev', 'openhim-dev', 'user-mgnt', 'application-config', 'metrics', 'webhooks', 'performance', 'events'];
const MONGO_V19 = MONGO_V18.filter((db) => db !== 'openhim-dev');
const MONGO_V20 = ['hearth-dev', 'events', 'user-mgnt', 'metrics', 'performance'];

export const PROFILES: Record<OpencrvsVersion, Profile> = {
  'v1.8': {
    version: 'v1.8',
    stores: ['mongo', 'elasticsearch', 'influxdb', 'minio', 'folders'],
    mongoDatabases: MONGO_V18,
    postgresDatabases: [],
    folders: ['/data/vsexport'],
    reindexAfterRestore: false,
  },
  'v1.9': {
    version: 'v1.9',
    stores: ['mongo', 'postgres', 'elasticsearch', 'influxdb', 'minio', 'folders'],
    mongoDatabases: MONGO_V19,
    postgresDatabases: ['events'],
    folders: ['/data/vsexport'],
    reindexAfterRestore: true,
  },
  'v2.0': {
    version: 'v2.0',
    stores: ['mongo', 'postgres', 'elasticsearch', 'influxdb', 'minio', 'folders'],
    mongoDatabases: MONGO_V20,
    postgresDatabases: ['events'],
    folders: ['/data/vsexport'],
    reindexAfterRestore: true,
  },
};

/** How the profile in force was chosen, for `config check` and the logs. */
export interface ProfileChoice {
  profile: Profile;
  /** `configured` (OPENCRVS_VERSION), `detected` (auto, from the servers) or `provisional` (auto, not yet detected). */
  source: 'configured' | 'detected' | 'provisional';
  reason: string;
}
