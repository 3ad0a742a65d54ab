/**
 * `crvs-backup decrypt <label> [--root DIR]`: turn a pulled, encrypted set back into plain files,
 * each checked against the manifest's sha256. Needs only the key (OFFSITE_ENCRYPTION_KEY_FILE or
 * OFFSITE_ENCRYPTION_KEY) — no store, no Redis, no network.
 */
import { decryptSet, loadOffsiteKey } from '../../crypto/index.ts';
import { InputError } from '../../errors.ts';
import type { Runtime } from '../../runtime.ts';

export async function decryptCommand(rt: Runtime, label: string, o: { root?: string }): Promise<number> {
  const key = loadOffsiteKey(rt.config);
  if (!key) throw new InputError('No key: set OFFSITE_ENCRYPTION_KEY_FILE (a file holding the key) or OFFSITE_ENCRYPTION_KEY');
  const root = o.root ?? rt.config.backupRoot;
  const r = await decryptSet({ root, label, key });
  process.stdout.write(`✓ ${label}: ${r.files} files decrypted under ${root}; checksums match the manifest\n`);
  return 0;
}
