/**
 * Makes one backup set: every selected store in turn (one store's failure does not stop the
 * others), then the manifest, written last. A set with any failed store is partial = failed.
 */
import { mkdir, statfs } from 'node:fs/promises';
import { InputError, userMessage } from '../errors.ts';
import { STORE_NAMES, type Artifact, type Progress, type StoreName } from '../stores/types.ts';
import { type BackupDeps, withTimeout } from './deps.ts';
import { assertLabel, defaultLabel } from './labels.ts';
import { isComplete, listManifests, readManifest, writeManifest, type Manifest, type StoreResult } from './manifest.ts';

export interface BackupOptions {
  label?: string;
  stores?: StoreName[];
  requestedBy: string;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface BackupOutcome {
  manifest: Manifest;
  manifestSha256: string;
  ok: boolean;
}

/** Picks the label: the given one, else today's date, else today's date with the time when taken. */
export async function chooseLabel(deps: BackupDeps, wanted: string | undefined): Promise<string> {
  const { config } = deps;
  if (wanted) {
    assertLabel(wanted);
    if (await readManifest(config.backupRoot, wanted)) throw new InputError(`A backup set named ${wanted} already exists; choose another label`, 'label_exists');
    return wanted;
  }
  const now = deps.now?.() ?? new Date();
  const day = defaultLabel(now, config.timeZone);
  if (!(await readManifest(config.backupRoot, day))) return day;
  const time = now.toISOString().slice(11, 19).replace(/:/g, '');
  return `${day}-${time}`;
}

/** Free space of the volume holding `path`, in bytes and percent. */
export async function freeSpace(path: string): Promise<{ freeBytes: number; totalBytes: number; freePercent: number }> {
  const s = await statfs(path);
  const freeBytes = s.bavail * s.bsize;
  const totalBytes = s.blocks * s.bsize;
  return { freeBytes, totalBytes, freePercent: totalBytes > 0 ? (100 * freeBytes) / totalBytes : 0 };
}

/** Fails early when the previous complete set would not fit in the free space left. */
async function checkSpace(deps: BackupDeps, stores: StoreName[]): Promise<void> {
  const { backupRoot } = deps.config;
  const previous = (await listManifests(backupRoot)).find((m) => isComplete(m.manifest));
  if (!previous) return;
  const expected = previous.manifest.artifacts.filter((a) => stores.includes(a.store)).reduce((n, a) => n + a.bytes, 0);
  const { freeBytes } = await freeSpace(backupRoot);
  if (expected > freeBytes) {
    throw new InputError(
      `Not enough space on the backup volume: the last set took ${(expected / 1e9).toFixed(2)} GB, only ${(freeBytes / 1e9).toFixed(2)} GB free at ${backupRoot}`,
      'disk_full',
    );
  }
}

/** A full backup volume said in words an operator acts on, not only as ENOSPC. */
function diskFullHint(message: string, root: string): string {
  if (!/ENOSPC|no space left on device/i.test(message)) return message;
  return `${message} — the backup volume at ${root} is full: free space there (or move BACKUP_ROOT), then run the backup again`;
}

export async function runBackup(deps: BackupDeps, opts: BackupOptions): Promise<BackupOutcome> {
  const { config, logger } = deps;
  const stores = (opts.stores ?? (config.stores as StoreName[])).filter((s) => STORE_NAMES.includes(s));
  for (const s of stores) if (!deps.adapters.has(s)) throw new InputError(`Unknown or unconfigured store "${s}" (configured: ${[...deps.adapters.keys()].join(', ')})`);
  await mkdir(config.backupRoot, { recursive: true });
  const label = await chooseLabel(deps, opts.label);
  await checkSpace(deps, stores);
  const createdAt = (deps.now?.() ?? new Date()).toISOString();
  const results: StoreResult[] = [];
  const artifacts: Artifact[] = [];
  for (const store of stores) {
    const adapter = deps.adapters.get(store);
    if (!adapter) continue;
    const started = Date.now();
    const progress = (p: Progress): void => opts.onProgress?.(p);
    progress({ store, message: 'started' });
    try {
      const serverVersion = await withTimeout(`${store}: connecting`, config.connectTimeoutMs * 3, opts.signal, () => adapter.version(), { graceMs: 0 });
      const written = await withTimeout(`${store} backup`, config.storeTimeoutMs, opts.signal, (signal) =>
        adapter.backup({ label, root: config.backupRoot, signal, progress }),
        { logger },
      );
      artifacts.push(...written);
      results.push({ store, ok: true, durationMs: Date.now() - started, serverVersion });
      progress({ store, message: 'done', bytes: written.reduce((n, a) => n + a.bytes, 0) });
      logger.info({ store, label, ms: Date.now() - started }, 'store backed up');
    } catch (err) {
      const error = diskFullHint(userMessage(err), config.backupRoot);
      results.push({ store, ok: false, error, durationMs: Date.now() - started });
      progress({ store, message: `failed: ${error}` });
      logger.error({ store, label, err: error }, 'store backup failed');
    }
  }
  const manifest: Manifest = {
    format: 1,
    label,
    createdAt,
    finishedAt: (deps.now?.() ?? new Date()).toISOString(),
    botVersion: deps.botVersion,
    requestedBy: opts.requestedBy,
    stores: results,
    artifacts,
    origin: 'bot',
  };
  const manifestSha256 = await writeManifest(config.backupRoot, manifest);
  return { manifest, manifestSha256, ok: isComplete(manifest) };
}
