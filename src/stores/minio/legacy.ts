/**
 * The OpenCRVS scripts' MinIO backup: a tar.gz of MinIO's data folder (bucket folders and, on newer
 * MinIO, `.minio.sys/` and per-object `xl.meta` files in MinIO's private on-disk format). The bot
 * cannot put such a file back through the S3 API; it can only be extracted into the data folder of
 * a stopped MinIO — through the exec layer when configured, otherwise by an operator.
 */
import { ExecError, StoreError } from '../../errors.ts';
import type { Config } from '../../config.ts';

/**
 * Run on the MinIO host before anything is removed: the data folder exists, and the tarball
 * ($1) is there, reads to its end (tar's own exit code, carried through the pipe on a last line)
 * and holds the bucket's folder ($2) — else the restore would leave the bucket empty. Paths are
 * arguments, never part of the script.
 */
const LEGACY_CHECK = [
  'file=$1; bucket=$2; data=$3',
  '[ -d "$data" ] || { echo "the MinIO data folder $data does not exist" >&2; exit 3; }',
  '[ -f "$file" ] && [ -r "$file" ] || { echo "$file is missing or unreadable" >&2; exit 4; }',
  '{ tar -tzf "$file"; echo "crvs-tar-exit:$?"; } | awk -v b="$bucket" \'',
  '  /^crvs-tar-exit:/ { code = substr($0, 15); next }',
  '  { n = $0; while (substr(n, 1, 2) == "./") n = substr(n, 3); if (n == b || n == b "/" || index(n, b "/") == 1) found = 1 }',
  '  END { if (code != "0") exit 5; if (!found) exit 6 }\'',
  'case $? in',
  '  0) ;;',
  '  5) echo "$file is not a complete tar.gz (tar -tzf failed)" >&2; exit 5 ;;',
  '  6) echo "$file holds no folder $bucket/" >&2; exit 6 ;;',
  '  *) echo "$file could not be listed" >&2; exit 7 ;;',
  'esac',
].join('\n');

/**
 * Run on the MinIO host after LEGACY_CHECK: extracts the tarball into `.crvs-staging-<bucket>`
 * inside the data folder, checks that the bucket's folder came out whole (as many files as the
 * tarball lists for it), then swaps it in by rename (the old folder kept aside until the new one is
 * in place, put back if that fails) and lays the tarball's other entries (`.minio.sys/`) over the
 * data folder as the scripts' `tar -x` did. Exit 8: extracting failed; 9: the check failed;
 * 10: the swap failed (the old folder was put back).
 */
const LEGACY_SWAP = [
  'file=$1; bucket=$2; data=$3',
  'stage="$data/.crvs-staging-$bucket"; aside="$data/.crvs-replaced-$bucket"',
  'rm -rf -- "$stage" "$aside"',
  'mkdir -p -- "$stage" || exit 8',
  'if ! tar -xzf "$file" -C "$stage"; then rm -rf -- "$stage"; echo "extracting $file failed; the bucket folder was not touched" >&2; exit 8; fi',
  'want=$(tar -tzf "$file" | awk -v b="$bucket" \'{ n = $0; while (substr(n, 1, 2) == "./") n = substr(n, 3); if (index(n, b "/") == 1 && substr(n, length(n)) != "/") c++ } END { print c + 0 }\')',
  'got=$(find "$stage/$bucket" ! -type d | wc -l)',
  'if [ ! -d "$stage/$bucket" ] || [ "$want" -ne "$got" ]; then rm -rf -- "$stage"; echo "the extracted $bucket/ holds $got files, the tarball lists $want; the bucket folder was not touched" >&2; exit 9; fi',
  'if [ -e "$data/$bucket" ]; then mv -- "$data/$bucket" "$aside" || { rm -rf -- "$stage"; exit 10; }; fi',
  'if ! mv -- "$stage/$bucket" "$data/$bucket"; then [ -e "$aside" ] && mv -- "$aside" "$data/$bucket"; rm -rf -- "$stage"; echo "moving the new $bucket/ into place failed; the old folder was put back" >&2; exit 10; fi',
  'rm -rf -- "$aside"',
  '(cd "$stage" && tar -cf - .) | (cd "$data" && tar -xf -) || { rm -rf -- "$stage"; echo "the bucket folder was replaced, but the other entries of $file could not be laid over $data" >&2; exit 11; }',
  'rm -rf -- "$stage"',
].join('\n');

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
  // Nothing is removed before the MinIO host itself has read the whole tarball.
  try {
    await exec(['sh', '-c', LEGACY_CHECK, 'sh', file, bucket, dataDir], opts);
  } catch (err) {
    const why = err instanceof ExecError ? err.stderr.trim().split('\n').slice(-3).join(' ') : err instanceof Error ? err.message : String(err);
    throw new StoreError('minio', `will not replace ${dataDir}/${bucket}: ${why || 'the check on the MinIO host failed'}; nothing was removed`, { cause: err });
  }
  // Extracted beside the bucket folder (same filesystem), checked, then swapped by rename: a
  // failure while extracting (a full disk, a bad block) leaves the live bucket folder as it was.
  try {
    await exec(['sh', '-c', LEGACY_SWAP, 'sh', file, bucket, dataDir], opts);
  } catch (err) {
    const why = err instanceof ExecError ? err.stderr.trim().split('\n').slice(-3).join(' ') : err instanceof Error ? err.message : String(err);
    // Exit 11: the bucket was swapped in, only the data folder's other entries are in doubt.
    const after = err instanceof ExecError && err.exitCode2 === 11 ? 'MinIO was not restarted' : 'the bucket folder was left as it was';
    throw new StoreError('minio', `could not restore ${dataDir}/${bucket} from ${file}: ${why || 'extracting it failed'}; ${after}`, { cause: err });
  }
  await exec(['sh', '-c', cfg.restartCommand], opts);
}
