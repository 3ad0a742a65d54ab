/** Offsite encryption: streamed AES-256-GCM in authenticated chunks. */
export { loadOffsiteKey, OffsiteKey } from './key.ts';
export { DecryptionError, encryptedSize } from './chunked.ts';
export { decryptFile, decryptSet, encryptFile } from './decrypt.ts';
