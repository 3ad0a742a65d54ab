/**
 * Fetches a set back from the backup server into the local backup root. Everything is downloaded
 * and (when the copy was encrypted) decrypted inside a staging folder, `<root>/.offsite/pull-<label>/`,
 * and checked there against the manifest's sha256s; only then is plain content moved into place —
 * the set's files, then the Elasticsearch repository's (blobs first, `index.latest` last), then the
 * manifest, which is what makes the set look local. Nothing encrypted or half-written ever lands
 * beside a live path, and an encrypted set is refused before anything is downloaded when this
 * machine has no key.
 */
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Config } from '../config.ts';
import { decryptFile } from '../crypto/decrypt.ts';
import { loadOffsiteKey, type OffsiteKey } from '../crypto/key.ts';
import { requireServer, withRetry } from './connect.ts';
import { OffsiteError } from './errors.ts';
import { ES_MIRROR } from './es-mirror.ts';
import { assertLabel, assertRelPath, rjoin } from './paths.ts';
import { fetchVerified, moveIntoPlace, sha256File, stageEsMirror, type StagedFile } from './pull-stage.ts';
import { statOrUndefined } from './remote.ts';
import { openSession, type RemoteSession } from './session.ts';
import { hasEsRepository, manifestRelPath, parseSetManifest, setFiles, type SetManifest } from './set-manifest.ts';
import { download } from './transfer.ts';
import { DEFAULT_RETRY, offsiteRecordSchema, RECORD_NAME, type OffsiteRecord, type ProgressFn, type RetryPolicy } from './types.ts';

export interface PullResult {
  label: string;
  encrypted: boolean;
  /** Files downloaded in this call. */
  files: number;
  bytes: number;
  /** Files already present locally with the right checksum. */
  skipped: number;
  /** Files decrypted in the staging folder. */
  decrypted: number;
  durationMs: number;
}

/** The staging folder of a pull: under the backup root (same filesystem: moving into place is a rename). */
export function pullStagingDir(root: string, label: string): string {
  return join(root, '.offsite', `pull-${assertLabel(label)}`);
}

/**
 * Pulls set `label` into `localRoot` (default BACKUP_ROOT). `key`: the offsite key (default: the
 * configured one; null: none). Throws OffsiteError — `offsite_key_required` for an encrypted set
 * without a key, before any of its files is downloaded.
 */
export async function pullSet(opts: {
  config: Config;
  label: string;
  localRoot?: string;
  key?: OffsiteKey | null;
  onProgress?: ProgressFn;
  retry?: Partial<RetryPolicy>;
}): Promise<PullResult> {
  const started = Date.now();
  const server = requireServer(opts.config);
  const label = assertLabel(opts.label);
  const root = opts.localRoot ?? opts.config.backupRoot;
  const key = opts.key === undefined ? loadOffsiteKey(opts.config) : (opts.key ?? undefined);
  const result: PullResult = { label, encrypted: false, files: 0, bytes: 0, skipped: 0, decrypted: 0, durationMs: 0 };
  await withRetry({ ...DEFAULT_RETRY, ...opts.retry }, opts.onProgress, async () => {
    const s = await openSession(server, { timeoutMs: opts.config.connectTimeoutMs });
    try {
      await pullAttempt(s, { dir: server.dir, label, root, key, result, onProgress: opts.onProgress });
    } finally {
      s.close();
    }
  });
  result.durationMs = Date.now() - started;
  return result;
}

interface Attempt {
  dir: string;
  label: string;
  root: string;
  key: OffsiteKey | undefined;
  result: PullResult;
  onProgress: ProgressFn | undefined;
}

async function readRemoteMeta(s: RemoteSession, a: Attempt, meta: string): Promise<{ manifest: SetManifest; record: OffsiteRecord }> {
  const setDir = rjoin(a.dir, a.label);
  const manifestRemote = rjoin(setDir, manifestRelPath(a.label));
  if (!(await statOrUndefined(s, manifestRemote))) {
    throw new OffsiteError('offsite_no_such_set', `the backup server has no complete set ${a.label}`);
  }
  await mkdir(meta, { recursive: true });
  await download(s, manifestRemote, join(meta, 'manifest.json'));
  await download(s, rjoin(setDir, RECORD_NAME), join(meta, RECORD_NAME));
  const manifest = parseSetManifest(await readFile(join(meta, 'manifest.json'), 'utf8'), `remote manifest of ${a.label}`);
  if (manifest.label !== a.label) throw new OffsiteError('offsite_bad_manifest', `the remote manifest of ${a.label} names another set (${manifest.label}): refusing it`);
  const parsed = offsiteRecordSchema.safeParse(parseJson(await readFile(join(meta, RECORD_NAME), 'utf8')));
  if (!parsed.success) throw new OffsiteError('offsite_bad_manifest', `the offsite record of ${a.label} is unreadable`);
  return { manifest, record: parsed.data };
}

async function pullAttempt(s: RemoteSession, a: Attempt): Promise<void> {
  const stage = pullStagingDir(a.root, a.label);
  const { manifest, record } = await readRemoteMeta(s, a, join(stage, 'meta'));
  a.result.encrypted = record.encrypted;
  if (record.encrypted && !a.key) {
    await rm(stage, { recursive: true, force: true });
    throw new OffsiteError(
      'offsite_key_required',
      `${a.label} is stored encrypted on the backup server and this bot has no offsite key: set OFFSITE_ENCRYPTION_KEY_FILE to the key the set was encrypted with, then ask again. Nothing was downloaded.`,
    );
  }

  const plainSha = new Map(setFiles(manifest).map((f) => [f.rel, f.sha256]));
  const staged: StagedFile[] = [];
  for (const f of record.files) {
    // The record is data from the server: it may only name the manifest's own files, so a tampered
    // record cannot overwrite the audit log or another set's manifest under the local root.
    const expected = plainSha.get(f.path);
    const encName = record.encrypted ? `${f.path}.enc` : f.path;
    if (expected === undefined || f.remote !== encName) {
      throw new OffsiteError('offsite_bad_path', `the offsite record of ${a.label} names a file its manifest does not have: ${JSON.stringify(f.remote).slice(0, 200)}`);
    }
    const live = join(a.root, assertRelPath(f.path));
    if ((await sha256File(live)) === expected) {
      a.result.skipped++;
      continue;
    }
    const plain = join(stage, 'files', assertRelPath(f.path));
    staged.push({ staged: plain, live, sha256: expected, what: f.path });
    if ((await sha256File(plain)) === expected) continue; // staged by an earlier attempt
    a.onProgress?.({ phase: 'download', path: f.remote, message: `fetching ${f.remote}` });
    const got = join(stage, 'download', assertRelPath(f.remote));
    a.result.bytes += await fetchVerified(s, rjoin(a.dir, a.label, f.remote), got, f.sha256, f.remote);
    a.result.files++;
    await mkdir(dirname(plain), { recursive: true });
    if (record.encrypted && a.key) {
      await decryptFile(a.key, got, plain, expected, f.path);
      await rm(got);
      a.result.decrypted++;
    } else {
      await rename(got, plain);
    }
  }

  const esPath = hasEsRepository(manifest);
  const es = esPath === undefined
    ? []
    : await stageEsMirror(s, { remoteDir: rjoin(a.dir, ES_MIRROR), liveDir: join(a.root, assertRelPath(esPath)), stageDir: join(stage, 'es'), key: a.key, result: a.result, onProgress: a.onProgress });

  // The whole set is checked in the staging folder before anything live is touched.
  for (const f of staged) {
    if ((await sha256File(f.staged)) !== f.sha256) {
      throw new OffsiteError('offsite_checksum', `${f.what}: the staged file does not match the manifest's sha256; nothing was moved into place`);
    }
  }
  await moveIntoPlace([...staged, ...es]);
  const manifestLocal = join(a.root, manifestRelPath(a.label));
  await mkdir(dirname(manifestLocal), { recursive: true });
  await rename(join(stage, 'meta', 'manifest.json'), manifestLocal);
  await rm(stage, { recursive: true, force: true });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
