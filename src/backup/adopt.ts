/**
 * Adoption of a set written by the old OpenCRVS shell scripts (files, no manifest): each configured
 * store describes its files of the label, checked and checksummed now; a manifest with origin
 * `legacy` is written; then the set goes through the normal verification, so restore treats it like
 * any other set. Stores without a file are recorded as failed: the set is partial.
 */
import { pathExists } from './checksum.ts';
import { InputError, VerificationError, userMessage } from '../errors.ts';
import { STORE_NAMES, type Artifact, type Progress, type StoreName } from '../stores/types.ts';
import { type BackupDeps, withTimeout } from './deps.ts';
import { assertLabel } from './labels.ts';
import { manifestPath, writeManifest, type Manifest, type StoreResult } from './manifest.ts';
import { unknownLabelError, verifySet } from './verify-set.ts';

/** The failure recorded for a configured store whose file is not in the legacy layout. */
export const NO_LEGACY_FILE = 'no file for this label in the legacy layout';

export interface AdoptOutcome {
  manifest: Manifest;
  manifestSha256: string | undefined;
  /** Problems found by verifying the adopted set; [] when it verifies. */
  problems: string[];
  /** Stores whose artifacts record no counts (a restore of them compares none). */
  countsUnknown: StoreName[];
}

export interface AdoptOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

async function refuseIfManifest(root: string, label: string): Promise<void> {
  if (await pathExists(manifestPath(root, label))) {
    throw new InputError(`The set ${label} already has a manifest: it is a set of this bot or was adopted before. Check it with \`crvs-backup verify ${label}\`.`, 'already_adopted');
  }
}

export async function adoptLegacySet(deps: BackupDeps, label: string, opts: AdoptOptions = {}): Promise<AdoptOutcome> {
  const { config, logger } = deps;
  const root = config.backupRoot;
  assertLabel(label);
  await refuseIfManifest(root, label);
  const now = deps.now ?? (() => new Date());
  const createdAt = now().toISOString();
  const stores: StoreResult[] = [];
  const artifacts: Artifact[] = [];
  for (const store of STORE_NAMES) {
    const adapter = deps.adapters.get(store);
    if (!adapter) continue;
    const started = Date.now();
    if (!adapter.adopt) {
      stores.push({ store, ok: false, error: 'this store cannot adopt files of the old scripts', durationMs: 0 });
      continue;
    }
    const adopt = adapter.adopt.bind(adapter);
    opts.onProgress?.({ store, message: 'looking for files of the old scripts' });
    try {
      const found = await withTimeout(`${store} adoption`, config.storeTimeoutMs, opts.signal, (signal) =>
        adopt(label, { label, root, signal, progress: (p) => opts.onProgress?.(p) }),
        { logger: deps.logger },
      );
      const durationMs = Date.now() - started;
      if (found.length === 0) stores.push({ store, ok: false, error: NO_LEGACY_FILE, durationMs });
      else stores.push({ store, ok: true, durationMs });
      artifacts.push(...found);
      opts.onProgress?.({ store, message: found.length === 0 ? 'no file' : `${found.length} artifact(s) adopted` });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      const error = userMessage(err).replace(new RegExp(`^${store}: `), '');
      stores.push({ store, ok: false, error, durationMs: Date.now() - started });
      opts.onProgress?.({ store, message: `failed: ${error}` });
    }
  }
  if (artifacts.length === 0) {
    const damaged = stores.filter((s) => s.error && s.error !== NO_LEGACY_FILE);
    if (damaged.length === 0) throw await unknownLabelError(root, label);
    // Files exist but none can be used: writing a manifest would only record a useless set.
    throw new VerificationError(label, damaged.map((s) => `${s.store}: ${s.error ?? 'failed'}`));
  }
  const manifest: Manifest = {
    format: 1,
    label,
    createdAt,
    finishedAt: now().toISOString(),
    botVersion: deps.botVersion,
    requestedBy: 'adopt',
    stores,
    artifacts,
    origin: 'legacy',
  };
  // Checked again right before writing: another adoption may have finished meanwhile.
  await refuseIfManifest(root, label);
  await writeManifest(root, manifest);
  logger.info({ label, artifacts: artifacts.length, stores: stores.map((s) => `${s.store}:${s.ok ? 'ok' : 'failed'}`) }, 'legacy set adopted');
  const verified = await verifySet(deps, label, { signal: opts.signal });
  const countsUnknown = [...new Set(artifacts.filter((a) => Object.keys(a.counts).length === 0).map((a) => a.store))];
  return { manifest, manifestSha256: verified.manifestSha256, problems: verified.problems, countsUnknown };
}
