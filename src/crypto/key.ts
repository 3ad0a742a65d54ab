/**
 * The offsite encryption key. The operator's secret (a file or OFFSITE_ENCRYPTION_KEY) is stretched
 * once with scrypt; every file then gets its own key through HKDF with a random per-file salt.
 * The secret is never put on argv, never logged: this object prints as "[redacted]".
 */
import { hkdfSync, scryptSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { ConfigError } from '../errors.ts';
import { registerSecret } from '../redact.ts';

/** Fixed domain salt: the per-file HKDF salt provides the uniqueness; this only separates uses. */
const SCRYPT_SALT = 'crvs-backup-bot/offsite/v1';
const SCRYPT_N = 2 ** 15;
const MIN_SECRET_BYTES = 16;

/** A loaded offsite key; derive per-file keys with `fileKey`. */
export class OffsiteKey {
  readonly #master: Buffer;
  constructor(secret: Buffer) {
    if (secret.length < MIN_SECRET_BYTES) {
      throw new ConfigError('OFFSITE_ENCRYPTION_KEY', `must be at least ${MIN_SECRET_BYTES} bytes long`);
    }
    this.#master = scryptSync(secret, SCRYPT_SALT, 32, { N: SCRYPT_N, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  }

  /** The AES-256 key of one file, from its header's salt. */
  fileKey(salt: Buffer): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#master, salt, 'crvs-backup-bot offsite file v1', 32));
  }

  toJSON(): string {
    return '[redacted]';
  }

  toString(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return 'OffsiteKey [redacted]';
  }
}

/**
 * Loads the key from the configuration: the file wins over the variable. Undefined when
 * encryption is off. Surrounding whitespace (a trailing newline of a key file) is ignored.
 */
export function loadOffsiteKey(opts: { encryptionKeyFile: string | undefined; encryptionKey: string | undefined }): OffsiteKey | undefined {
  if (opts.encryptionKeyFile) {
    let text: Buffer;
    try {
      text = readFileSync(opts.encryptionKeyFile);
    } catch {
      throw new ConfigError('OFFSITE_ENCRYPTION_KEY_FILE', `names a file that cannot be read: ${opts.encryptionKeyFile}`);
    }
    const secret = text.toString('utf8').trim();
    registerSecret(secret);
    return new OffsiteKey(Buffer.from(secret, 'utf8'));
  }
  if (opts.encryptionKey) return new OffsiteKey(Buffer.from(opts.encryptionKey.trim(), 'utf8'));
  return undefined;
}
