/**
 * `crvs-backup pull <label> [--root DIR]`: fetch a set back from the backup server (checksums
 * verified on arrival); decrypted at once when the key is configured.
 */
import { loadOffsiteKey, decryptSet } from '../../crypto/index.ts';
import { InputError } from '../../errors.ts';
import { pullSet } from '../../offsite/index.ts';
import type { Runtime } from '../../runtime.ts';
import { formatBytes } from '../output.ts';

export async function pullCommand(rt: Runtime, label: string, o: { root?: string }): Promise<number> {
  if (!rt.config.backupServer) throw new InputError('No backup server is configured (BACKUP_SERVER_HOST, _USER, _KEY_FILE, _HOST_KEY)');
  const root = o.root ?? rt.config.backupRoot;
  const r = await pullSet({ config: rt.config, label, localRoot: root });
  process.stdout.write(`✓ pulled ${label}: ${r.files} files, ${formatBytes(r.bytes)} (${r.skipped} already here) into ${root}\n`);
  if (!r.encrypted) return 0;
  const key = loadOffsiteKey(rt.config);
  if (!key) {
    process.stdout.write(`The set is encrypted: run \`crvs-backup decrypt ${label} --root ${root}\` with OFFSITE_ENCRYPTION_KEY_FILE set.\n`);
    return 0;
  }
  const d = await decryptSet({ root, label, key });
  process.stdout.write(`✓ decrypted ${d.files} files; checksums match the manifest\n`);
  return 0;
}
