/**
 * Sealing: each complete WAL file of a stream (pg_receivewal renames `X.partial` to `X` once the
 * segment is whole and flushed) gets `X.sha256` beside it. The `.partial` file is never sealed:
 * it is still being written. A sealed file is what the offsite copy and a restore trust.
 */
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256File } from '../backup/checksum.ts';
import { HISTORY, SEGMENT } from './wal.ts';

export function isWalFile(name: string): boolean {
  return SEGMENT.test(name) || HISTORY.test(name);
}

/** Seals every complete, unsealed WAL file in `dir`; returns the names sealed now. */
export async function sealStream(dir: string): Promise<string[]> {
  const names = new Set(await readdir(dir));
  const sealed: string[] = [];
  for (const name of [...names].sort()) {
    if (!isWalFile(name) || names.has(`${name}.sha256`)) continue;
    const { sha256 } = await sha256File(join(dir, name));
    const tmp = join(dir, `.${name}.sha256.tmp`);
    await writeFile(tmp, `${sha256}  ${name}\n`);
    await rename(tmp, join(dir, `${name}.sha256`));
    sealed.push(name);
  }
  return sealed;
}

/** The recorded sha256 of a sealed file, or undefined when it is not sealed. */
export async function sealOf(dir: string, name: string): Promise<string | undefined> {
  try {
    const text = await readFile(join(dir, `${name}.sha256`), 'utf8');
    const m = /^([0-9a-f]{64})\s/.exec(text);
    return m?.[1];
  } catch {
    return undefined;
  }
}
