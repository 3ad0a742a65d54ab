/**
 * Incremental mirror of the Elasticsearch snapshot repository folder to `<remote>/elasticsearch/`.
 *
 * Blobs of an ES repository are written once under unique names and never change, so a remote file
 * of the expected size is taken as present. Only `index-N` and `index.latest` at the repository root
 * change; they are re-sent (when not encrypted, skipped if the server's sha256 already matches).
 * Upload order keeps the mirror usable at every moment: data blobs first, then snapshot metadata,
 * then `index-N`, and `index.latest` last.
 *
 * Deletion: the mirror NEVER deletes. A blob removed locally may still be referenced by a snapshot
 * of a set kept remotely, and proving otherwise means parsing ES's repository format; the cost of
 * never deleting is remote space for blobs of snapshots deleted locally.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { encryptedSize } from '../crypto/chunked.ts';
import type { OffsiteKey } from '../crypto/key.ts';
import { assertRelPath, rdirname, rjoin } from './paths.ts';
import { putVerified, type PutCounters, type PutDone, type PutItem } from './put.ts';
import { mkdirs, remoteFiles, remoteSha256 } from './remote.ts';
import type { RemoteSession } from './session.ts';
import type { Journal } from './journal.ts';
import type { ProgressFn } from './types.ts';
import { walkFiles, type LocalFile } from './walk.ts';

/** Name of the mirror folder in the remote directory. */
export const ES_MIRROR = 'elasticsearch';

export interface MirrorResult {
  sent: PutDone[];
  skipped: number;
}

/** The repository files Elasticsearch rewrites in place (its generation pointers); every other file is written once. */
export function isMutable(rel: string): boolean {
  return rel === 'index.latest' || /^index-\d+$/.test(rel);
}

/**
 * The order a repository's files are written in, uploaded or moved into place: nested blobs, root
 * metadata, index-N, index.latest last — so a reader never sees a pointer to a file not there yet.
 */
export function rank(rel: string): number {
  if (rel === 'index.latest') return 3;
  if (isMutable(rel)) return 2;
  return rel.includes('/') ? 0 : 1;
}

async function localSha(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

/** Sends what the server lacks; `localDir` is the repository folder, `remoteDir` the mirror folder. */
export async function mirrorEsRepository(
  s: RemoteSession,
  opts: {
    localDir: string;
    remoteDir: string;
    key: OffsiteKey | undefined;
    counters: PutCounters;
    onProgress?: ProgressFn;
    /** Journal entries (by display path) for files this machine encrypted earlier. */
    journal?: Journal;
  },
): Promise<MirrorResult> {
  const suffix = opts.key ? '.enc' : '';
  // ES writes through temporary `pending-*` names; those are not part of the repository yet.
  const local = (await walkFiles(opts.localDir)).filter((f) => !f.rel.split('/').some((p) => p.startsWith('pending-')));
  const remote = await remoteFiles(s, opts.remoteDir);
  const todo: LocalFile[] = [];
  const mutablePlain: LocalFile[] = [];
  let skipped = 0;
  for (const f of local) {
    assertRelPath(f.rel);
    const size = remote.get(f.rel + suffix);
    const want = opts.key ? encryptedSize(f.bytes) : f.bytes;
    if (size === undefined || size !== want) todo.push(f);
    else if (!isMutable(f.rel)) skipped++;
    else mutablePlain.push(f);
  }
  // Changed index files: skip when the server already holds these exact bytes. For an encrypted
  // copy that is known only through the journal (ciphertext differs on every encryption).
  if (mutablePlain.length > 0) {
    const sums = await remoteSha256(s, mutablePlain.map((f) => rjoin(opts.remoteDir, f.rel + suffix)));
    for (const f of mutablePlain) {
      const remoteSha = sums.get(rjoin(opts.remoteDir, f.rel + suffix));
      const plainSha = await localSha(join(opts.localDir, f.rel));
      const j = opts.journal?.files[`${ES_MIRROR}/${f.rel}${suffix}`];
      const same = opts.key ? j !== undefined && j.plainSha256 === plainSha && j.sha256 === remoteSha : remoteSha === plainSha;
      if (same) skipped++;
      else todo.push(f);
    }
  }
  todo.sort((a, b) => rank(a.rel) - rank(b.rel) || a.rel.localeCompare(b.rel));
  const items: PutItem[] = todo.map((f) => ({
    local: join(opts.localDir, f.rel),
    remote: rjoin(opts.remoteDir, f.rel + suffix),
    display: `${ES_MIRROR}/${f.rel}`,
  }));
  if (items.length > 0) await mkdirs(s, [opts.remoteDir, ...items.map((i) => rdirname(i.remote))]);
  for (const f of local.filter((x) => !todo.includes(x))) opts.onProgress?.({ phase: 'skip', path: `${ES_MIRROR}/${f.rel}`, message: `${ES_MIRROR}/${f.rel} already on the server` });
  const sent = await putVerified(s, items, {
    key: opts.key,
    counters: opts.counters,
    onProgress: opts.onProgress,
    onVerified: (d) => {
      if (opts.journal && isMutable(d.item.display.slice(ES_MIRROR.length + 1))) {
        opts.journal.files[`${d.item.display}${suffix}`] = { bytes: d.bytes, sha256: d.sha256, plainSha256: d.plainSha256 };
      }
    },
  });
  return { sent, skipped };
}
