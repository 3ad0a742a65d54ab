/**
 * `crvs-backup pull <label> [--root DIR]`: fetch a set back from the backup server. Files are
 * downloaded, decrypted (an encrypted set needs the key) and checked in a staging folder, then
 * moved into place.
 */
import { InputError } from '../../errors.ts';
import { pullSet } from '../../offsite/index.ts';
import type { Runtime } from '../../runtime.ts';
import { formatBytes } from '../output.ts';

export async function pullCommand(rt: Runtime, label: string, o: { root?: string }): Promise<number> {
  if (!rt.config.backupServer) throw new InputError('No backup server is configured (BACKUP_SERVER_HOST, _USER, _KEY_FILE, _HOST_KEY)');
  const root = o.root ?? rt.config.backupRoot;
  const r = await pullSet({ config: rt.config, label, localRoot: root });
  process.stdout.write(`✓ pulled ${label}: ${r.files} files, ${formatBytes(r.bytes)} (${r.skipped} already here) into ${root}\n`);
  if (r.encrypted) process.stdout.write(`✓ decrypted ${r.decrypted} files; checksums match the manifest\n`);
  return 0;
}
