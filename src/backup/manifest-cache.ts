/**
 * The manifests under a backup root, each file read and checked once per version. Listing sets
 * (`/backup status`, `/backup list`, a restore request's lookup) would otherwise read, parse,
 * schema-check and hash every manifest on every call. A file is read again as soon as its identity
 * changes: inode, size, modification and change time, and a file changed in the last two seconds
 * is always read (file times move in ticks of a few ms, as git's racy-clean check knows). Manifests
 * are written to a temporary file and renamed (writeManifest): a new version has a new inode.
 *
 * Only for listing: whatever binds an approval or precedes a restore reads the manifest itself
 * (readManifest, verifySet), never this cache.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readManifest, type Manifest } from './manifest.ts';

/** A manifest as listed: parsed, and the sha256 of its file. */
export interface ListedManifest {
  manifest: Manifest;
  sha256: string;
}

/** Lists a backup root's manifests like listManifests, reading only files new or changed since the last call. */
export interface ManifestLister {
  /** Newest first by creation time; unreadable or malformed manifests are left out (verify reports them). */
  list(): Promise<ListedManifest[]>;
}

/** How long after its last change a file's identity is trusted (well above any file-time tick). */
const SETTLE_MS = 2000;

interface Entry {
  identity: string;
  listed: ListedManifest;
}

export function createManifestLister(root: string): ManifestLister {
  const dir = join(root, 'manifests');
  const known = new Map<string, Entry>();

  async function one(label: string): Promise<ListedManifest | undefined> {
    // The identity is taken before the read: if the file is replaced in between, the entry holds
    // the newer content under the older identity and is simply read again next time.
    const s = await stat(join(dir, `${label}.json`), { bigint: true });
    const identity = `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
    const hit = known.get(label);
    // File times advance in clock ticks of a few ms: a file changed within the last moments could
    // change again without its identity changing, so it is trusted only once it has settled.
    const settled = Date.now() - Number(s.ctimeMs) > SETTLE_MS;
    if (hit?.identity === identity && settled) return hit.listed;
    const listed = await readManifest(root, label);
    if (listed) known.set(label, { identity, listed });
    else known.delete(label);
    return listed;
  }

  return {
    async list() {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        known.clear();
        return [];
      }
      const labels = names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).map((n) => n.slice(0, -5));
      const present = new Set(labels);
      for (const label of known.keys()) if (!present.has(label)) known.delete(label);
      const read = await Promise.all(
        labels.map((label) =>
          one(label).catch(() => {
            // An unreadable or malformed manifest is reported by verify, not by listing (as listManifests).
            known.delete(label);
            return undefined;
          }),
        ),
      );
      const out = read.filter((m): m is ListedManifest => m !== undefined);
      return out.sort((a, b) => b.manifest.createdAt.localeCompare(a.manifest.createdAt));
    },
  };
}
