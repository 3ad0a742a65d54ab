/** Lists a local folder's regular files, recursively, as POSIX relative paths with sizes. */
import { opendir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface LocalFile {
  rel: string;
  bytes: number;
}

/** Every regular file under `dir` ([] when it does not exist). Symlinks are not followed. */
export async function walkFiles(dir: string, prefix = ''): Promise<LocalFile[]> {
  const out: LocalFile[] = [];
  let handle;
  try {
    handle = await opendir(dir);
  } catch {
    return out;
  }
  for await (const entry of handle) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await walkFiles(join(dir, entry.name), rel)));
    else if (entry.isFile()) out.push({ rel, bytes: (await stat(join(dir, entry.name))).size });
  }
  return out;
}
