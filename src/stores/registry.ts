/** The one map from store name to adapter factory. */
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { StoreAdapter, StoreName } from './types.ts';
import { createMongoAdapter } from './mongo/index.ts';
import { createElasticsearchAdapter } from './elasticsearch/index.ts';
import { createInfluxAdapter } from './influxdb/index.ts';
import { createMinioAdapter } from './minio/index.ts';
import { createPostgresAdapter } from './postgres/index.ts';
import { createFoldersAdapter } from './folders/index.ts';
import { createExecutor, targetFromSetting } from '../exec/index.ts';

type Factory = (config: Config, logger: Logger) => StoreAdapter;

const FACTORIES: Record<StoreName, Factory> = {
  mongo: createMongoAdapter,
  postgres: (config, logger) => createPostgresAdapter(config, logger),
  folders: createFoldersAdapter,
  elasticsearch: createElasticsearchAdapter,
  influxdb: createInfluxAdapter,
  minio: (config, logger) => {
    // Legacy data-folder tarballs are restored on the MinIO host through the exec layer.
    const target = targetFromSetting(config.minio.exec, config.manager, 'MINIO_EXEC', config.restore.kube.kubeconfig);
    const executor = createExecutor(target);
    return createMinioAdapter(config, logger, {
      exec: async (argv, opts) => {
        const r = await executor.run(argv, { timeoutMs: opts.timeoutMs, signal: opts.signal });
        return { stdout: r.stdout, stderr: r.stderr };
      },
    });
  },
};

/** Adapters for the stores named in config (BACKUP_STORES), in that order. */
export function createAdapters(config: Config, logger: Logger): Map<StoreName, StoreAdapter> {
  const map = new Map<StoreName, StoreAdapter>();
  for (const name of config.stores as StoreName[]) map.set(name, FACTORIES[name](config, logger.child({ store: name })));
  return map;
}
