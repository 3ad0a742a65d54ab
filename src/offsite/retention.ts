/**
 * Remote sets and remote retention. A remote set is complete when its manifest exists: the
 * manifest is uploaded last and, like every file, only renamed into place after the server's
 * sha256 matched, so its presence means every file before it was verified too.
 */
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
 * deletes the only complete set, never touches the Elasticsearch mirror.
 */
export async function pruneRemote(opts: { config: Config; keep?: number; onProgress?: ProgressFn }): Promise<PruneResult> {
  return withSession(opts.config, async (s, server) => {
    const keep = Math.max(1, opts.keep ?? server.keep);
    const sets = await listSets(s, server.dir);
    const complete = sets.filter((x) => x.complete);
    const kept = complete.slice(0, keep);
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
