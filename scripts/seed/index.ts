/** Seeds every store with a deterministic OpenCRVS-shaped deployment. */
import type { Config } from '../../src/config.ts';
import type { StoreName } from '../../src/stores/types.ts';
import { seedMongo } from './mongo.ts';
import { seedElasticsearch } from './elasticsearch.ts';
import { seedInfluxdb } from './influxdb.ts';
import { seedMinio } from './minio.ts';
import { seedPostgres } from './postgres.ts';
import type { SeedCounts, SeedOptions, Seeder } from './types.ts';

export const SEEDERS: Record<StoreName, Seeder> = {
  mongo: seedMongo,
  postgres: seedPostgres,
  elasticsearch: seedElasticsearch,
  influxdb: seedInfluxdb,
  minio: seedMinio,
};

export async function seedAll(config: Config, options: SeedOptions, only?: string[]): Promise<Partial<Record<StoreName, SeedCounts>>> {
  const out: Partial<Record<StoreName, SeedCounts>> = {};
  for (const [name, seeder] of Object.entries(SEEDERS) as Array<[StoreName, Seeder]>) {
    if (only && !only.includes(name)) continue;
    out[name] = await seeder(config, options);
  }
  return out;
}
