/**
 * The staging half of a pull: files downloaded and checked inside the staging folder, the
 * Elasticsearch mirror decrypted there, and the final move of plain files into place.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { encryptedSize } from '../crypto/chunked.ts';
import { decryptFile } from '../crypto/decrypt.ts';
import type { OffsiteKey } from '../crypto/key.ts';
import { OffsiteError } from './errors.ts';
import { ES_MIRROR, isMutable, rank } from './es-mirror.ts';
import { assertRelPath, rjoin } from './paths.ts';
import { remoteFiles, remoteSha256 } from './remote.ts';
import type { RemoteSession } from './session.ts';
import { download } from './transfer.ts';
import type { ProgressFn } from './types.ts';

/** A plain file ready in the staging folder and where it goes. */
export interface StagedFile {
  staged: string;
  live: string;
  /** The manifest's sha256, when the manifest has one (not for Elasticsearch repository files). */
  sha256?: string;
  what: string;
}

/** sha256 of a file, or undefined when it does not exist. */
export async function sha256File(path: string): Promise<string | undefined> {
  if (!(await stat(path).then((s) => s.isFile(), () => false))) return undefined;
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

async function sizeOf(path: string): Promise<number | undefined> {
  return stat(path).then((s) => s.size, () => undefined);
}

/** Downloads to `<dest>.part` (inside the staging folder), checks the sha256, then renames. */
export async function fetchVerified(s: RemoteSession, remote: string, dest: string, sha256: string, what: string): Promise<number> {
  await mkdir(dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  await download(s, remote, part);
  if ((await sha256File(part)) !== sha256) {
    await rm(part, { force: true });
    throw new OffsiteError('offsite_checksum', `${what}: the downloaded file's sha256 does not match the recorded one`);
  }
  await rename(part, dest);
  return (await sizeOf(dest)) ?? 0;
}

/**
 * Downloads what the live repository folder lacks (and every index file) into `stageDir`,
 * decrypting `.enc` files there; returns the plain files to move, in a safe order.
 */
export async function stageEsMirror(
  s: RemoteSession,
  o: { remoteDir: string; liveDir: string; stageDir: string; key: OffsiteKey | undefined; result: { files: number; bytes: number; skipped: number; decrypted: number }; onProgress: ProgressFn | undefined },
): Promise<StagedFile[]> {
  const remote = await remoteFiles(s, o.remoteDir);
  const wanted: Array<{ rel: string; plainRel: string }> = [];
  for (const [rel, size] of remote) {
    if (rel.split('/').some((p) => p.startsWith('.') && p.endsWith('.part'))) continue;
    assertRelPath(rel);
    const encrypted = rel.endsWith('.enc');
    if (encrypted && !o.key) {
      throw new OffsiteError('offsite_key_required', `${ES_MIRROR}/${rel} is encrypted on the backup server and this bot has no offsite key (OFFSITE_ENCRYPTION_KEY_FILE)`);
    }
    const plainRel = encrypted ? rel.slice(0, -4) : rel;
    const live = await sizeOf(join(o.liveDir, plainRel));
    const present = live !== undefined && (encrypted ? encryptedSize(live) === size : live === size);
    if (present && !isMutable(plainRel)) o.result.skipped++;
    else wanted.push({ rel, plainRel });
  }
  const sums = await remoteSha256(s, wanted.map((w) => rjoin(o.remoteDir, w.rel)));
  const out: StagedFile[] = [];
  for (const w of wanted) {
    const sha = sums.get(rjoin(o.remoteDir, w.rel));
    if (!sha) throw new OffsiteError('offsite_transfer', `${ES_MIRROR}/${w.rel} vanished from the backup server during the pull`);
    const got = join(o.stageDir, 'download', w.rel);
    const plain = join(o.stageDir, 'plain', w.plainRel);
    o.onProgress?.({ phase: 'download', path: `${ES_MIRROR}/${w.rel}`, message: `fetching ${ES_MIRROR}/${w.rel}` });
    o.result.bytes += await fetchVerified(s, rjoin(o.remoteDir, w.rel), got, sha, `${ES_MIRROR}/${w.rel}`);
    o.result.files++;
    await mkdir(dirname(plain), { recursive: true });
    if (w.rel !== w.plainRel && o.key) {
      // Each chunk is authenticated: a tampered or truncated blob fails here, in the staging folder.
      await decryptFile(o.key, got, plain, undefined, `${ES_MIRROR}/${w.plainRel}`);
      await rm(got);
      o.result.decrypted++;
    } else {
      await rename(got, plain);
    }
    out.push({ staged: plain, live: join(o.liveDir, w.plainRel), what: `${ES_MIRROR}/${w.plainRel}` });
  }
  return out.sort((a, b) => rank(relOf(a, o.liveDir)) - rank(relOf(b, o.liveDir)) || a.live.localeCompare(b.live));
}

function relOf(f: StagedFile, liveDir: string): string {
  return f.live.slice(liveDir.length + 1);
}

/** Renames each staged file onto its live path (same filesystem), in the order given. */
export async function moveIntoPlace(files: StagedFile[]): Promise<void> {
  for (const f of files) {
    await mkdir(dirname(f.live), { recursive: true });
    await rename(f.staged, f.live);
  }
}
