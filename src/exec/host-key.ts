/** Host key pinning for SSH: the OpenSSH-style SHA256 fingerprint of the key the server offers. */
import { createHash } from 'node:crypto';

/** "SHA256:<base64 without padding>", as printed by `ssh-keygen -lf`. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** True only when the offered fingerprint equals the pinned one (padding ignored). */
export function matchesPin(offered: string, pinned: string | undefined): boolean {
  if (!pinned) return false;
  return offered === pinned.trim().replace(/=+$/, '');
}
