/** The drill's scratch targets for the configured stores (one per store that has one). */
import type { Config } from '../../config.ts';
import type { StoreName } from '../../stores/types.ts';
import type { DrillTarget } from '../types.ts';
import { createElasticsearchTarget } from './elasticsearch.ts';
import { createFoldersTarget } from './folders.ts';
import { createInfluxTarget } from './influxdb.ts';
import { createMinioTarget } from './minio.ts';
import { createMongoTarget } from './mongo.ts';
import { createPostgresTarget } from './postgres.ts';

const FACTORIES: Partial<Record<StoreName, (config: Config) => DrillTarget>> = {
  mongo: createMongoTarget,
  minio: createMinioTarget,
  folders: createFoldersTarget,
  influxdb: createInfluxTarget,
  elasticsearch: createElasticsearchTarget,
  postgres: createPostgresTarget,
};

export function createDrillTargets(config: Config): DrillTarget[] {
  const out: DrillTarget[] = [];
  for (const s of config.stores as StoreName[]) {
    const f = FACTORIES[s];
    if (f) out.push(f(config));
  }
  return out;
}
