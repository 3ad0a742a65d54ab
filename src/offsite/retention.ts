/**
 * Remote sets and remote retention. A remote set is complete when its manifest exists: the
 * manifest is uploaded last and, like every file, only renamed into place after the server's
 * sha256 matched, so its presence means every file before it was verified too.
 */
import { z } from 'zod';
import { protectedSets, type KeepView } from '../backup/keep.ts';
import type { Config } from '../config.ts';
import { OffsiteError } from './errors.ts';
import { withSession } from './connect.ts';
import { ES_MIRROR } from './es-mirror.ts';
import { assertLabel, RESERVED, rjoin, shq } from './paths.ts';
import { readdirOrEmpty, remoteFreeSpace, statOrUndefined, type RemoteSpace } from './remote.ts';
import type { RemoteSession } from './session.ts';
import { manifestRelPath } from './set-manifest.ts';
import type { ProgressFn } from './types.ts';

/** One set folder on the backup server. */
export interface RemoteSet {
  label: string;
  complete: boolean;
  /** When the manifest was stored (ms since epoch); for an incomplete set, the folder's time. */
  storedAt: number;
}

/** What retention reads of a remote manifest: which stores the set can restore. */
const keepViewSchema = z.object({
  label: z.string(),
  stores: z.array(z.object({ store: z.string(), ok: z.boolean() }).passthrough()).optional(),
  pruned: z.array(z.string()).optional(),
  artifacts: z.array(z.object({ store: z.string() }).passthrough()),
});

/** Manifests are a few KB; anything far bigger is not one. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** A remote set's manifest as retention needs it; undefined when unreadable (then the set is kept). */
async function readKeepView(s: RemoteSession, path: string): Promise<KeepView | undefined> {
  const st = await statOrUndefined(s, path);
  if (!st || st.size > MAX_MANIFEST_BYTES) return undefined;
  const text = await s.guard(
    new Promise<string>((resolve, reject) => s.sftp.readFile(path, (err, data) => (err ? reject(err) : resolve(data.toString('utf8'))))),
  ).catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const parsed = keepViewSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const LABEL_OK = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Lists set folders in the remote directory, newest first. */
export async function listSets(s: RemoteSession, dir: string): Promise<RemoteSet[]> {
  const out: RemoteSet[] = [];
  for (const e of await readdirOrEmpty(s, dir)) {
    if (!e.attrs.isDirectory() || RESERVED.has(e.filename) || !LABEL_OK.test(e.filename)) continue;
    const manifest = await statOrUndefined(s, rjoin(dir, e.filename, manifestRelPath(e.filename)));
    out.push({ label: e.filename, complete: manifest !== undefined, storedAt: (manifest ?? e.attrs).mtime * 1000 });
  }
  return out.sort((a, b) => b.storedAt - a.storedAt || b.label.localeCompare(a.label));
}

/** The sets on the configured backup server, newest first. */
export function listRemoteSets(config: Config): Promise<RemoteSet[]> {
  return withSession(config, (s, server) => listSets(s, server.dir));
}

/** What pruning removed and kept. */
export interface PruneResult {
  deleted: string[];
  kept: string[];
}

/**
 * Keeps the `keep` newest complete sets (default BACKUP_SERVER_KEEP) and deletes older complete
 * sets, and incomplete sets older than the newest complete one (left by broken copies). Never
 * deletes the only complete set, never touches the Elasticsearch mirror. A set copied whole can
 * still be a partial backup (a store failed that night): whatever `keep` says, the newest set with
 * every store backed up and the newest set holding each store are kept (src/backup/keep.ts), and
 * so is any set whose manifest cannot be read.
 */
export async function pruneRemote(opts: { config: Config; keep?: number; onProgress?: ProgressFn }): Promise<PruneResult> {
  return withSession(opts.config, async (s, server) => {
    const keep = Math.max(1, opts.keep ?? server.keep);
    const sets = await listSets(s, server.dir);
    const complete = sets.filter((x) => x.complete);
    const kept = complete.slice(0, keep);
    const views: KeepView[] = [];
    for (const x of complete) {
      const view = await readKeepView(s, rjoin(server.dir, x.label, manifestRelPath(x.label)));
      if (view) views.push({ ...view, label: x.label });
      // Unreadable: we cannot tell what it holds, so it is not ours to delete.
      else if (!kept.includes(x)) kept.push(x);
    }
    const held = protectedSets(views);
    for (const x of complete) if (held.has(x.label) && !kept.includes(x)) kept.push(x);
    const newestComplete = complete[0]?.storedAt;
    const doomed = sets.filter((x) =>
      x.complete ? !kept.includes(x) : newestComplete !== undefined && x.storedAt < newestComplete,
    );
    if (kept.length === 0 && doomed.some((x) => x.complete)) throw new Error('internal: pruning would remove every complete set');
    const deleted: string[] = [];
    for (const set of doomed) {
      assertLabel(set.label);
      if (set.label === ES_MIRROR) continue;
      opts.onProgress?.({ phase: 'prune', path: set.label, message: `removing ${set.complete ? '' : 'incomplete '}set ${set.label} from the backup server` });
      const r = await s.exec(`rm -rf -- ${shq(rjoin(server.dir, set.label))}`);
      if (r.code !== 0) throw new OffsiteError('offsite_remote_command', `removing ${set.label} on the backup server failed: ${r.stderr.trim().slice(-300)}`);
      deleted.push(set.label);
    }
    return { deleted, kept: sets.filter((x) => !deleted.includes(x.label)).map((x) => x.label) };
  });
}

/** Free space on the backup server's file system holding BACKUP_SERVER_DIR. */
export function backupServerSpace(config: Config): Promise<RemoteSpace> {
  return withSession(config, async (s, server) => {
    await s.run(`mkdir -p -- ${shq(server.dir)}`, 'creating the backup folder');
    return remoteFreeSpace(s, server.dir);
  });
}
