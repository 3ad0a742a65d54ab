/**
 * Fetches a set back from the backup server into the local backup root: its files (still
 * encrypted, as `.enc`, when the copy was encrypted: decryptSet turns them back), the Elasticsearch
 * mirror, and the manifest last. Every file is checked against a sha256 before it gets its name.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Config } from '../config.ts';
import { encryptedSize } from '../crypto/chunked.ts';
import { requireServer, withRetry } from './connect.ts';
import { OffsiteError } from './errors.ts';
import { ES_MIRROR } from './es-mirror.ts';
import { assertLabel, assertRelPath, rjoin } from './paths.ts';
import { remoteFiles, remoteSha256, statOrUndefined } from './remote.ts';
import { openSession, type RemoteSession } from './session.ts';
import { hasEsRepository, manifestRelPath, parseSetManifest, setFiles } from './set-manifest.ts';
import { download } from './transfer.ts';
import { DEFAULT_RETRY, offsiteRecordSchema, RECORD_NAME, type ProgressFn, type RetryPolicy } from './types.ts';

export interface PullResult {
  label: string;
  encrypted: boolean;
  /** Files downloaded in this call. */
  files: number;
  bytes: number;
  /** Files already present locally with the right checksum. */
  skipped: number;
  durationMs: number;
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

async function sizeOf(path: string): Promise<number | undefined> {
  return stat(path).then((s) => s.size, () => undefined);
}

/** Downloads to `<dest>.part`, checks the sha256, then renames. */
async function fetchVerified(s: RemoteSession, remote: string, dest: string, sha256: string, what: string): Promise<number> {
  await mkdir(dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  await download(s, remote, part);
  const got = await sha256File(part);
  if (got !== sha256) {
    await rm(part, { force: true });
    throw new OffsiteError('offsite_checksum', `${what}: the downloaded file's sha256 does not match the recorded one`);
  }
  await rename(part, dest);
  return (await sizeOf(dest)) ?? 0;
}

/** Pulls set `label` into `localRoot` (default BACKUP_ROOT). Throws OffsiteError. */
export async function pullSet(opts: { config: Config; label: string; localRoot?: string; onProgress?: ProgressFn; retry?: Partial<RetryPolicy> }): Promise<PullResult> {
  const started = Date.now();
  const server = requireServer(opts.config);
  const label = assertLabel(opts.label);
  const root = opts.localRoot ?? opts.config.backupRoot;
  const result: PullResult = { label, encrypted: false, files: 0, bytes: 0, skipped: 0, durationMs: 0 };
  await withRetry({ ...DEFAULT_RETRY, ...opts.retry }, opts.onProgress, async () => {
    const s = await openSession(server, { timeoutMs: opts.config.connectTimeoutMs });
    try {
      await pullAttempt(s, server.dir, label, root, result, opts.onProgress);
    } finally {
      s.close();
    }
  });
  result.durationMs = Date.now() - started;
  return result;
}

async function pullAttempt(s: RemoteSession, dir: string, label: string, root: string, result: PullResult, onProgress?: ProgressFn): Promise<void> {
  const setDir = rjoin(dir, label);
  const manifestRemote = rjoin(setDir, manifestRelPath(label));
  if (!(await statOrUndefined(s, manifestRemote))) {
    throw new OffsiteError('offsite_no_such_set', `the backup server has no complete set ${label}`);
  }
  const tmp = join(root, '.offsite', `pull-${label}`);
  await mkdir(tmp, { recursive: true });
  await download(s, manifestRemote, join(tmp, 'manifest.json'));
  await download(s, rjoin(setDir, RECORD_NAME), join(tmp, RECORD_NAME));
  const manifest = parseSetManifest(await readFile(join(tmp, 'manifest.json'), 'utf8'), `remote manifest of ${label}`);
  if (manifest.label !== label) throw new OffsiteError('offsite_bad_manifest', `the remote manifest of ${label} names another set (${manifest.label}): refusing it`);
  const parsed = offsiteRecordSchema.safeParse(parseJson(await readFile(join(tmp, RECORD_NAME), 'utf8')));
  if (!parsed.success) throw new OffsiteError('offsite_bad_manifest', `the offsite record of ${label} is unreadable`);
  const record = parsed.data;
  result.encrypted = record.encrypted;

  const plainSha = new Map(setFiles(manifest).map((f) => [f.rel, f.sha256]));
  for (const f of record.files) {
    // The record is data from the server: it may only name the manifest's own files, so a tampered
    // record cannot overwrite the audit log or another set's manifest under the local root.
    if (!plainSha.has(f.path) || (f.remote !== f.path && f.remote !== `${f.path}.enc`)) {
      throw new OffsiteError('offsite_bad_path', `the offsite record of ${label} names a file its manifest does not have: ${JSON.stringify(f.remote).slice(0, 200)}`);
    }
    const dest = join(root, assertRelPath(f.remote));
    const plainFile = join(root, assertRelPath(f.path));
    const plainDone = record.encrypted && existsSync(plainFile) && (await sha256File(plainFile)) === plainSha.get(f.path);
    if (plainDone || ((await sizeOf(dest)) === f.bytes && (await sha256File(dest)) === f.sha256)) {
      result.skipped++;
      continue;
    }
    onProgress?.({ phase: 'download', path: f.remote, message: `fetching ${f.remote}` });
    result.bytes += await fetchVerified(s, rjoin(setDir, f.remote), dest, f.sha256, f.remote);
    result.files++;
  }

  const esPath = hasEsRepository(manifest);
  if (esPath !== undefined) await pullEsMirror(s, rjoin(dir, ES_MIRROR), join(root, assertRelPath(esPath)), result, onProgress);

  const manifestLocal = join(root, manifestRelPath(label));
  await mkdir(dirname(manifestLocal), { recursive: true });
  await rename(join(tmp, 'manifest.json'), manifestLocal);
  await rm(tmp, { recursive: true, force: true });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isMutable(rel: string): boolean {
  return /^index(-\d+|\.latest)(\.enc)?$/.test(rel);
}

async function pullEsMirror(s: RemoteSession, remoteDir: string, localDir: string, result: PullResult, onProgress?: ProgressFn): Promise<void> {
  const remote = await remoteFiles(s, remoteDir);
  const wanted: string[] = [];
  for (const [rel, size] of remote) {
    if (rel.split('/').some((p) => p.startsWith('.') && p.endsWith('.part'))) continue;
    assertRelPath(rel);
    const local = await sizeOf(join(localDir, rel));
    const plain = rel.endsWith('.enc') ? await sizeOf(join(localDir, rel.slice(0, -4))) : undefined;
    const present = local === size || (plain !== undefined && encryptedSize(plain) === size);
    if (present && !isMutable(rel)) result.skipped++;
    else wanted.push(rel);
  }
  const sums = await remoteSha256(s, wanted.map((r) => rjoin(remoteDir, r)));
  for (const rel of wanted) {
    const sha = sums.get(rjoin(remoteDir, rel));
    if (!sha) throw new OffsiteError('offsite_transfer', `${ES_MIRROR}/${rel} vanished from the backup server during the pull`);
    onProgress?.({ phase: 'download', path: `${ES_MIRROR}/${rel}`, message: `fetching ${ES_MIRROR}/${rel}` });
    result.bytes += await fetchVerified(s, rjoin(remoteDir, rel), join(localDir, rel), sha, `${ES_MIRROR}/${rel}`);
    result.files++;
  }
}
