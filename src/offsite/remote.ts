/** Small remote operations: SFTP calls as promises, and the few commands run on the server. */
import { createHash } from 'node:crypto';
import type { FileEntryWithStats, Stats } from 'ssh2';
import { mapLimit } from '../parallel.ts';
import { OffsiteError } from './errors.ts';
import { shq } from './paths.ts';
import type { RemoteSession } from './session.ts';

function sftpErr(what: string, err: Error): OffsiteError {
  return new OffsiteError('offsite_transfer', `${what}: ${err.message}`, { cause: err });
}

/** Stat of a remote path; undefined when it does not exist. */
export function statOrUndefined(s: RemoteSession, path: string): Promise<Stats | undefined> {
  return s.guard(
    new Promise((resolve, reject) => {
      s.sftp.stat(path, (err, st) => {
        if (!err) resolve(st);
        else if ((err as Error & { code?: number }).code === 2) resolve(undefined);
        else reject(sftpErr(`stat ${path}`, err));
      });
    }),
  );
}

/** Atomic replace (OpenSSH posix-rename extension): the target appears only complete. */
export function renameOver(s: RemoteSession, from: string, to: string): Promise<void> {
  return s.guard(
    new Promise((resolve, reject) => {
      s.sftp.ext_openssh_rename(from, to, (err) => (err ? reject(sftpErr(`rename ${from}`, err)) : resolve()));
    }),
  );
}

/** Removes a remote file; a missing file is fine. */
export function unlinkQuiet(s: RemoteSession, path: string): Promise<void> {
  return s.guard(new Promise<void>((resolve) => s.sftp.unlink(path, () => resolve()))).catch(() => undefined);
}

/** Entries of a remote folder; [] when it does not exist. */
export function readdirOrEmpty(s: RemoteSession, path: string): Promise<FileEntryWithStats[]> {
  return s.guard(
    new Promise((resolve, reject) => {
      s.sftp.readdir(path, (err, list) => {
        if (!err) resolve(list);
        else if ((err as Error & { code?: number }).code === 2) resolve([]);
        else reject(sftpErr(`list ${path}`, err));
      });
    }),
  );
}

/** Creates folders (and parents). */
export async function mkdirs(s: RemoteSession, dirs: string[]): Promise<void> {
  const unique = [...new Set(dirs)];
  for (const batch of batches(unique)) await s.run(`mkdir -p -- ${batch.map(shq).join(' ')}`, 'creating folders');
}

/** Splits words into command lines that stay well under the server's argument limit. */
function batches(words: string[], maxChars = 60_000): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  let len = 0;
  for (const w of words) {
    if (cur.length > 0 && len + w.length > maxChars) {
      out.push(cur);
      cur = [];
      len = 0;
    }
    cur.push(w);
    len += w.length + 3;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/**
 * The server's hashing command for a list of quoted paths. OpenSSL's sha256 uses the CPU's SHA
 * instructions where there are some (about 3× coreutils' `sha256sum` on this project's machine,
 * see bench/README.md); `sha256sum` is the fallback on a server without `openssl`. Both print
 * `<hex> <sep><path>` per file, skip a missing file and exit 1 while still printing the others.
 * At a lower priority (nice 10): the hash of file N yields to the receipt of file N+1 beside it.
 */
export function sha256Command(quotedPaths: string): string {
  // Linux groups each SSH session's processes apart (autogroup), where `nice` alone ranks them only
  // among themselves: the session's own group is lowered too, where the kernel offers it.
  const nice = `{ echo 10 > /proc/self/autogroup; } 2>/dev/null; n=; if command -v nice >/dev/null 2>&1; then n='nice -n 10'; fi;`;
  return `${nice} if command -v openssl >/dev/null 2>&1; then $n openssl dgst -sha256 -r -- ${quotedPaths}; else $n sha256sum -- ${quotedPaths}; fi 2>/dev/null`;
}

/**
 * sha256 of remote files computed ON THE SERVER from the bytes on its disk, so a check never
 * trusts the bytes this process believes it sent. Missing files are simply absent from the map.
 */
export async function remoteSha256(s: RemoteSession, paths: string[]): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  for (const batch of batches(paths)) {
    const r = await s.exec(sha256Command(batch.map(shq).join(' ')));
    if (r.code === null) throw new OffsiteError('offsite_remote_command', 'hashing files on the backup server was interrupted');
    for (const line of r.stdout.split('\n')) {
      const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
      if (m) result.set(m[2] as string, m[1] as string);
    }
  }
  return result;
}

/** SFTP requests kept in flight at once by the helpers below (one channel answers them in order). */
const SFTP_PARALLEL = 32;

/**
 * Sizes of remote regular files by SFTP stat, requests pipelined on the open channel: no command
 * runs on the server. Missing paths (and anything that is not a regular file) are absent.
 */
export async function remoteSizes(s: RemoteSession, paths: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  await mapLimit(paths, SFTP_PARALLEL, async (p) => {
    const st = await statOrUndefined(s, p);
    if (st?.isFile()) out.set(p, st.size);
  });
  return out;
}

/**
 * A small file is checked by reading it back over SFTP and hashing the bytes here: they are
 * still the bytes on the server's disk, read by the server, and one read costs far less than
 * starting a command on the server. Larger files are hashed there (no transfer back).
 */
export const READ_BACK_MAX = 256 * 1024;

/** sha256 of a remote file's first `limit` + 1 bytes as read back over SFTP; undefined when missing. */
function readBackSha256(s: RemoteSession, path: string, limit: number): Promise<string | undefined> {
  return s.guard(
    new Promise((resolve, reject) => {
      const h = createHash('sha256');
      // At most one byte more than expected: a longer file cannot match, and is not read in full.
      s.sftp
        .createReadStream(path, { start: 0, end: limit })
        .on('data', (c: Buffer) => h.update(c))
        .on('error', (err: Error & { code?: number }) => (err.code === 2 ? resolve(undefined) : reject(sftpErr(`reading back ${path}`, err))))
        .on('end', () => resolve(h.digest('hex')));
    }),
  );
}

/**
 * sha256 of stored files, each from the bytes on the server's disk: small ones (see
 * READ_BACK_MAX, `bytes` = the size expected) read back, the others hashed by the server in one
 * command. Missing files are absent from the map.
 */
export async function storedSha256(s: RemoteSession, files: { path: string; bytes: number }[]): Promise<Map<string, string>> {
  const small = files.filter((f) => f.bytes <= READ_BACK_MAX);
  const large = files.filter((f) => f.bytes > READ_BACK_MAX);
  const out = new Map<string, string>();
  await Promise.all([
    remoteSha256(s, large.map((f) => f.path)).then((m) => m.forEach((v, k) => out.set(k, v))),
    mapLimit(small, SFTP_PARALLEL, async (f) => {
      const sha = await readBackSha256(s, f.path, f.bytes);
      if (sha !== undefined) out.set(f.path, sha);
    }),
  ]);
  return out;
}

/** Regular files under a remote folder, relative path → size (no entries when it is absent). */
export async function remoteFiles(s: RemoteSession, dir: string): Promise<Map<string, number>> {
  const r = await s.exec(`[ -d ${shq(dir)} ] || exit 0; cd ${shq(dir)} && find . -type f -printf '%s %P\\0'`);
  if (r.code !== 0) throw new OffsiteError('offsite_remote_command', `listing ${dir} on the backup server failed: ${r.stderr.trim().slice(-300)}`);
  const out = new Map<string, number>();
  for (const entry of r.stdout.split('\0')) {
    const m = /^(\d+) (.+)$/s.exec(entry);
    if (m) out.set(m[2] as string, Number(m[1]));
  }
  return out;
}

/** Free space of the file system holding `dir` on the server (`df -Pk`). */
export interface RemoteSpace {
  totalBytes: number;
  availableBytes: number;
  freePercent: number;
}

function space(usedK: number, availK: number): RemoteSpace {
  const total = usedK + availK;
  return { totalBytes: total * 1024, availableBytes: availK * 1024, freePercent: total > 0 ? Math.round((availK / total) * 1000) / 10 : 0 };
}

/** statvfs@openssh.com, counted as `df -Pk` counts; undefined when the server lacks the extension. */
function statvfs(s: RemoteSession, dir: string): Promise<RemoteSpace | undefined> {
  return s.guard(
    new Promise((resolve, reject) => {
      const done = (err: Error | undefined, st: Record<string, number | bigint>): void => {
        if (err) {
          reject(sftpErr(`free space of ${dir}`, err));
          return;
        }
        const n = (k: string): number => Number(st[k] ?? Number.NaN);
        const k = n('f_frsize') / 1024;
        const used = (n('f_blocks') - n('f_bfree')) * k;
        const avail = n('f_bavail') * k;
        if (!Number.isFinite(used) || !Number.isFinite(avail)) reject(new OffsiteError('offsite_remote_command', `unexpected statvfs answer for ${dir}`));
        else resolve(space(used, avail));
      };
      try {
        s.sftp.ext_openssh_statvfs(dir, done);
      } catch {
        resolve(undefined);
      }
    }),
  );
}

/** Free space where `dir` is: statvfs over SFTP, or `df -Pk` on a server without it. */
export async function remoteFreeSpace(s: RemoteSession, dir: string): Promise<RemoteSpace> {
  const viaSftp = await statvfs(s, dir);
  if (viaSftp) return viaSftp;
  const out = await s.run(`df -Pk -- ${shq(dir)}`, 'df');
  const line = out.trim().split('\n').at(-1) ?? '';
  const cols = line.split(/\s+/);
  const used = Number(cols[2]);
  const avail = Number(cols[3]);
  if (!Number.isFinite(used) || !Number.isFinite(avail)) throw new OffsiteError('offsite_remote_command', `unexpected df output: ${line}`);
  return space(used, avail);
}
