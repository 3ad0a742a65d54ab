/** Streaming sha256 of files and folders (never reads a whole file into memory). */
import { createHash } from 'node:crypto';
import { access, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileChunks } from '../archive/file-chunks.ts';

/** Read into one reused buffer (src/archive/file-chunks.ts): the memory of a hash does not grow with the file. */
export async function sha256File(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of fileChunks(path, { chunkBytes: 1 << 20 })) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Every file under a folder, relative paths sorted, each with size and sha256. */
export async function hashDir(dir: string): Promise<Array<{ path: string; bytes: number; sha256: string }>> {
  const out: Array<{ path: string; bytes: number; sha256: string }> = [];
  async function walk(d: string): Promise<void> {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) out.push({ path: relative(dir, full), ...(await sha256File(full)) });
    }
  }
  await walk(dir);
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** The checksum of a folder: sha256 of its sorted "<relpath> <sha256>\n" lines. */
export function dirDigest(files: Array<{ path: string; sha256: string }>): string {
  const hash = createHash('sha256');
  for (const f of [...files].sort((a, b) => a.path.localeCompare(b.path))) hash.update(`${f.path} ${f.sha256}\n`);
  return hash.digest('hex');
}

/** A pass-through stream that hashes and counts what flows through it (one implementation, shared). */
export { HashCounter as HashingStream } from '../archive/tar-hash.ts';

export async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

/** True when something exists at `path` (file or folder). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
