/**
 * OpenCRVS's own encrypted archives, unpacked into the backup root so that `adopt` can take them:
 * - the Swarm offsite file `<LABEL>.tar.gz.enc` (every file of a label, laid out as under the
 *   backup root: mongo/<db>-<LABEL>.gz, influxdb/<LABEL>/…, minio/…, elasticsearch/…);
 * - the Kubernetes per-store files `<store>_backup_<date>.tar.gz.enc` (one store's files, unpacked
 *   under <store>/).
 * Both are `openssl enc -aes-256-cbc -salt -pbkdf2` with openssl's defaults (PBKDF2-HMAC-SHA256,
 * 10000 iterations, key and IV from the passphrase and the 8-byte salt after "Salted__"). Streamed;
 * unpacked into a private folder first and moved into place only once the whole archive decrypted
 * and every entry was a plain file or folder under a relative path — a wrong passphrase or a
 * tampered file leaves nothing behind, and an archive never overwrites a file already there.
 */
import { createDecipheriv, pbkdf2Sync, type Decipher } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { BotError, InputError } from '../errors.ts';
import { STORE_NAMES, type StoreName } from '../stores/types.ts';

/** openssl enc's default PBKDF2 iteration count (`-pbkdf2` without `-iter`). */
export const OPENSSL_PBKDF2_ITERATIONS = 10_000;
const MAGIC = Buffer.from('Salted__', 'ascii');

/** The archive could not be decrypted or unpacked. */
export class UpstreamArchiveError extends BotError {
  constructor(message: string) {
    super('upstream_archive', message);
  }
}

export interface ArchiveName {
  /** `offsite`: <LABEL>.tar.gz.enc; `store`: <store>_backup_<date>.tar.gz.enc. */
  kind: 'offsite' | 'store';
  label: string;
  store?: StoreName;
}

/** What the file's name says it is; undefined when it is neither layout. */
export function parseArchiveName(file: string): ArchiveName | undefined {
  const name = basename(file);
  const store = /^([a-z]+)_backup_(.+)\.tar\.gz\.enc$/.exec(name);
  if (store && (STORE_NAMES as readonly string[]).includes(store[1] as string)) return { kind: 'store', store: store[1] as StoreName, label: store[2] as string };
  const offsite = /^(.+)\.tar\.gz\.enc$/.exec(name);
  return offsite ? { kind: 'offsite', label: offsite[1] as string } : undefined;
}

/** Decrypts an `openssl enc -aes-256-cbc -salt -pbkdf2` stream with `passphrase`. */
export function opensslDecryptor(passphrase: Buffer, iterations = OPENSSL_PBKDF2_ITERATIONS): Transform {
  let head = Buffer.alloc(0);
  let decipher: Decipher | undefined;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      try {
        if (decipher) return cb(null, decipher.update(chunk));
        head = Buffer.concat([head, chunk]);
        if (head.length < 16) return cb();
        if (!head.subarray(0, 8).equals(MAGIC)) return cb(new UpstreamArchiveError('not an openssl enc file with a salt (no "Salted__" header)'));
        const material = pbkdf2Sync(passphrase, head.subarray(8, 16), iterations, 48, 'sha256');
        decipher = createDecipheriv('aes-256-cbc', material.subarray(0, 32), material.subarray(32, 48));
        cb(null, decipher.update(head.subarray(16)));
      } catch (err) {
        cb(err as Error);
      }
    },
    flush(cb: TransformCallback) {
      try {
        if (!decipher) return cb(new UpstreamArchiveError('the file is too short to be an openssl enc file'));
        cb(null, decipher.final());
      } catch {
        cb(new UpstreamArchiveError('decryption failed: wrong passphrase, or the file is damaged'));
      }
    },
  });
}

/** A relative, normalised path of a tar entry; throws on absolute paths and `..`. */
function safePath(name: string): string {
  const clean = name.replace(/^\.\//, '').replace(/\/+$/, '');
  if (clean === '' || clean === '.') return '';
  const parts = clean.split('/');
  if (clean.startsWith('/') || parts.some((p) => p === '..' || p === '')) throw new UpstreamArchiveError(`the archive holds an unsafe path: ${name}`);
  return parts.join(sep);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Every file under `dir`, relative to it. */
async function filesUnder(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p, base)));
    else out.push(relative(base, p));
  }
  return out;
}

export interface UnpackResult extends ArchiveName {
  /** Files placed under the backup root, relative to it. */
  files: string[];
}

/** Decrypts and unpacks one upstream archive into `root` (see the file's comment). */
export async function unpackUpstreamArchive(file: string, passphrase: Buffer, root: string): Promise<UnpackResult> {
  const name = parseArchiveName(file);
  if (!name) throw new InputError(`${basename(file)} is neither <LABEL>.tar.gz.enc nor <store>_backup_<date>.tar.gz.enc`, 'bad_archive_name');
  const staging = join(root, `.upstream-${process.pid}-${Date.now()}`);
  const into = name.kind === 'store' ? join(staging, name.store as string) : staging;
  await mkdir(into, { recursive: true });
  try {
    const extract = tar.extract();
    extract.on('entry', (header, stream, next) => {
      const done = (err?: unknown): void => (err ? extract.destroy(err as Error) : next());
      try {
        const rel = safePath(header.name);
        if (header.type === 'directory') {
          stream.resume();
          mkdir(join(into, rel), { recursive: true }).then(() => done(), done);
        } else if (header.type === 'file' && rel !== '') {
          const dest = join(into, rel);
          mkdir(dirname(dest), { recursive: true })
            .then(() => pipeline(stream, createWriteStream(dest, { flags: 'wx' })))
            .then(() => done(), done);
        } else {
          stream.resume();
          done(new UpstreamArchiveError(`the archive holds a ${header.type} (${header.name}); only files and folders are taken`));
        }
      } catch (err) {
        stream.resume();
        done(err);
      }
    });
    try {
      await pipeline(createReadStream(file), opensslDecryptor(passphrase), createGunzip(), extract);
    } catch (err) {
      if (err instanceof BotError) throw err;
      throw new UpstreamArchiveError(`${basename(file)} could not be unpacked: ${(err as Error).message.split('\n')[0]} (wrong passphrase, or the file is damaged)`);
    }
    const files = await filesUnder(staging);
    for (const rel of files) if (await exists(join(root, rel))) throw new UpstreamArchiveError(`${rel} is already in the backup root: not overwritten (remove it, or adopt into another BACKUP_ROOT)`);
    for (const rel of files) {
      await mkdir(dirname(join(root, rel)), { recursive: true });
      await rename(join(staging, rel), join(root, rel));
    }
    return { ...name, files };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
