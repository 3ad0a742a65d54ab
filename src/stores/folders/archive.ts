/**
 * A folder as a .tar.gz, streamed both ways: files are read once into the archive while their
 * sha256 is taken, so the manifest records a digest of the folder's content (`dirDigest` of
 * "<relpath> <sha256>" lines) that verify and restore recompute.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { dirDigest } from '../../backup/checksum.ts';
import { forEachTarGzEntry } from '../../archive/tar-read.ts';
import { createTarGzWriter } from '../../archive/tar-write.ts';

export interface FolderSummary {
  files: number;
  bytes: number;
  /** dirDigest of every file's relative path and sha256. */
  contentDigest: string;
}

/** Regular files under `dir`, relative paths sorted; symbolic links and special files are skipped (and reported). */
async function walk(dir: string): Promise<{ files: string[]; skipped: string[] }> {
  const files: string[] = [];
  const skipped: string[] = [];
  async function go(d: string): Promise<void> {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) await go(full);
      else if (entry.isFile()) files.push(relative(dir, full).split(sep).join('/'));
      else skipped.push(relative(dir, full));
    }
  }
  await go(dir);
  return { files: files.sort(), skipped };
}

function hashTap(): { tap: Transform; digest: () => string } {
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _e, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  return { tap, digest: () => hash.digest('hex') };
}

/** Writes `dir` into `file` (.tar.gz); returns the archive's size and sha256 and the folder's summary. */
export async function archiveFolder(dir: string, file: string, signal: AbortSignal): Promise<{ bytes: number; sha256: string; summary: FolderSummary; skipped: string[] }> {
  const { files, skipped } = await walk(dir);
  const writer = createTarGzWriter(file);
  const lines: Array<{ path: string; sha256: string }> = [];
  let total = 0;
  try {
    for (const rel of files) {
      signal.throwIfAborted();
      const abs = join(dir, rel);
      const st = await lstat(abs);
      const { tap, digest } = hashTap();
      const source = createReadStream(abs).pipe(tap);
      await writer.addStream(rel, st.size, source, st.mtime);
      lines.push({ path: rel, sha256: digest() });
      total += st.size;
    }
    const out = await writer.finish();
    return { ...out, summary: { files: files.length, bytes: total, contentDigest: dirDigest(lines) }, skipped };
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

/** `./a/b` (OpenCRVS's `tar -zcvf … .`) → `a/b`; `./` → ''. */
export function entryPath(name: string): string {
  return name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

/** A relative archive path that stays inside the folder it is extracted to. */
export function safeEntryName(name: string): boolean {
  return name !== '' && !name.startsWith('/') && !name.split('/').includes('..') && !name.includes('\0');
}

/**
 * Reads the whole archive: every entry's sha256, so the summary can be compared with the manifest.
 * With `extractTo`, the files are also written there (the caller checked the archive before).
 */
export async function readFolderArchive(file: string, signal: AbortSignal, extractTo?: string): Promise<{ summary: FolderSummary; problems: string[] }> {
  const lines: Array<{ path: string; sha256: string }> = [];
  const problems: string[] = [];
  let bytes = 0;
  await forEachTarGzEntry(
    file,
    async (h, content) => {
      if (h.type === 'directory') return;
      const name = entryPath(h.name);
      if (h.type !== 'file' || !safeEntryName(name)) {
        problems.push(`entry ${JSON.stringify(h.name)} (${h.type}) is not a file inside the folder`);
        for await (const _ of content) void _;
        return;
      }
      const hash = createHash('sha256');
      if (extractTo) {
        const target = join(extractTo, name);
        await mkdir(dirname(target), { recursive: true });
        const { tap, digest } = hashTap();
        await pipeline(content, tap, createWriteStream(target, { mode: 0o644 }), { signal });
        lines.push({ path: name, sha256: digest() });
      } else {
        for await (const chunk of content) hash.update(chunk);
        lines.push({ path: name, sha256: hash.digest('hex') });
      }
      bytes += h.size;
    },
    signal,
  );
  return { summary: { files: lines.length, bytes, contentDigest: dirDigest(lines) }, problems };
}

/** The summary of a folder on disk (after a restore). */
export async function summarizeFolder(dir: string): Promise<FolderSummary> {
  const { files } = await walk(dir);
  const lines: Array<{ path: string; sha256: string }> = [];
  let bytes = 0;
  for (const rel of files) {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(join(dir, rel))) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    lines.push({ path: rel, sha256: hash.digest('hex') });
  }
  return { files: files.length, bytes, contentDigest: dirDigest(lines) };
}
