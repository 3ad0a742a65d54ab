/** MinIO store: see format.ts for the backup file layout, legacy.ts for the scripts' old format. */
export { createMinioAdapter, type MinioAdapterDeps, type MinioExec } from './adapter.ts';
export { artifactPath, FORMAT } from './format.ts';
