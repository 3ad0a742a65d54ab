/**
 * The OpenCRVS scripts' MinIO backup: a tar.gz of MinIO's data folder (bucket folders and, on newer
 * MinIO, `.minio.sys/` and per-object `xl.meta` files in MinIO's private on-disk format). The bot
 * cannot put such a file back through the S3 API; it can only be extracted into the data folder of
 * a stopped MinIO — through the exec layer when configured, otherwise by an operator.
 */
import { StoreError } from '../../errors.ts';
import type { Config } from '../../config.ts';

/** Runs argv (no shell) where MinIO's data folder lives; the exec layer (src/exec) fits this shape. */
export interface MinioExec {
  (argv: string[], opts: { timeoutMs: number; signal?: AbortSignal }): Promise<{ stdout: string; stderr: string }>;
}

/** Why an entry name shows a data-folder tarball, or undefined. */
export function legacyMarker(name: string, buckets: string[]): string | undefined {
  const parts = name.replace(/^(\.\/)+/, '').split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('.minio.sys')) return '.minio.sys/';
  if (parts[parts.length - 1] === 'xl.meta') return 'xl.meta';
  const top = parts[0];
  if (top !== undefined && buckets.includes(top)) return `${top}/`;
  return undefined;
}

/** The refusal: what an operator types to restore the file by hand. */
export function manualRestoreError(file: string, dataDir: string | undefined): StoreError {
  const dir = dataDir ?? '<MinIO data folder>';
  return new StoreError(
    'minio',
    `${file} is a tarball of a MinIO data folder (the format of the OpenCRVS backup scripts). ` +
      'The bot restores such a file only when MINIO_DATA_DIR and MINIO_RESTART_COMMAND are set. ' +
      `To restore it by hand on the MinIO host: 1) stop MinIO; 2) run \`tar -xzf ${file} -C ${dir}\`; 3) start MinIO.`,
  );
}

/** True when this deployment can restore a legacy file itself. */
export function canRestoreLegacy(cfg: Config['minio'], exec: MinioExec | undefined): boolean {
  return Boolean(cfg.dataDir && cfg.restartCommand && exec);
}

/**
 * Replaces the bucket's folder by the tarball's content and restarts MinIO, like the scripts do.
 * `file` must be the path where `exec` runs (the backup root is the same path on the MinIO host).
 */
export async function restoreLegacy(
  file: string,
  bucket: string,
  cfg: Config['minio'],
  exec: MinioExec | undefined,
  opts: { timeoutMs: number; signal: AbortSignal },
): Promise<void> {
  if (!exec || !cfg.dataDir || !cfg.restartCommand) throw manualRestoreError(file, cfg.dataDir);
  const dataDir = cfg.dataDir.replace(/\/+$/, '');
  // Bucket names are S3 names ([a-z0-9.-]), so the path below cannot leave the data folder.
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new StoreError('minio', `"${bucket}" is not a valid bucket name`);
  await exec(['rm', '-rf', '--', `${dataDir}/${bucket}`], opts);
  await exec(['tar', '-xzf', file, '-C', dataDir], opts);
  await exec(['sh', '-c', cfg.restartCommand], opts);
}
