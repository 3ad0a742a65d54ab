/**
 * Sealed WAL files offsite, continuously: the same rules as the sets (src/offsite/put.ts) — each
 * file sent under a temporary name, its sha256 computed on the backup server and compared, then
 * renamed; encrypted (`.enc`) when OFFSITE_ENCRYPTION_KEY(_FILE) is set. Remote layout:
 * `<BACKUP_SERVER_DIR>/postgres-wal/<stream>/<segment>` — pulled back beside the sets for a restore
 * on a new machine.
 */
import { join } from 'node:path';
import type { Config } from '../config.ts';
import { loadOffsiteKey } from '../crypto/key.ts';
import { openSession } from '../offsite/index.ts';
import { putVerified, type PutItem } from '../offsite/put.ts';
import { mkdirs } from '../offsite/remote.ts';
import { sealOf } from './seal.ts';
import { streamDir, WAL_DIR } from './wal.ts';

/** Copies sealed WAL files of `stream`; returns how many were stored. No backup server: nothing to do. */
export async function copyWalOffsite(config: Config, stream: string, names: string[]): Promise<number> {
  const server = config.backupServer;
  if (!server || names.length === 0) return 0;
  const key = loadOffsiteKey(config);
  const local = streamDir(config.backupRoot, stream);
  const remoteDir = `${server.dir}/${WAL_DIR}/${stream}`;
  const items: PutItem[] = [];
  for (const name of names) {
    const seal = await sealOf(local, name);
    // Only sealed files travel; the seal is what the copy is checked against.
    if (!seal) continue;
    items.push({ local: join(local, name), remote: `${remoteDir}/${name}${key ? '.enc' : ''}`, display: `${WAL_DIR}/${stream}/${name}`, expectSha: seal });
  }
  if (items.length === 0) return 0;
  const s = await openSession(server, { timeoutMs: config.connectTimeoutMs });
  try {
    await mkdirs(s, [remoteDir]);
    const done = await putVerified(s, items, { key, counters: { uploads: 0, bytesSent: 0 } });
    return done.length;
  } finally {
    s.close();
  }
}
