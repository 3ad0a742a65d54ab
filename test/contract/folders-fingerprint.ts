/** A fingerprint of the configured folders, independent of the adapter: every file's path, size and content. */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Config } from '../../src/config.ts';

export async function foldersFingerprint(config: Config): Promise<string> {
  const hash = createHash('sha256');
  for (const folder of config.folders.folders) {
    const files: string[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
        if (e.isDirectory()) await walk(join(d, e.name));
        else files.push(relative(folder, join(d, e.name)));
      }
    };
    await walk(folder);
    for (const f of files.sort()) {
      const data = await readFile(join(folder, f));
      hash.update(`${folder} ${f} ${data.length} ${createHash('sha256').update(data).digest('hex')}\n`);
    }
  }
  return hash.digest('hex');
}
