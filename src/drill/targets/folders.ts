/**
 * Folders scratch target: each folder archive of the set is extracted into `drill-<name>` beside
 * the live folder (same disk, as a real restore would use), the extracted files are hashed and
 * compared with the content digest the set recorded at backup, and the scratch folder is removed.
 * MOSIP's SQLite file is not drilled (its restore is a file copy checked by the set's verification).
 */
import { rm, stat, statfs } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Config } from '../../config.ts';
import { readFolderArchive, summarizeFolder } from '../../stores/folders/archive.ts';
import type { Artifact } from '../../stores/types.ts';
import { SCRATCH_PREFIX, ScratchNameError } from '../scratch-names.ts';
import type { DrillContext, DrillTarget } from '../types.ts';

function text(a: Artifact, key: string): string | undefined {
  const v = a.meta?.[key];
  return typeof v === 'string' ? v : undefined;
}

export function createFoldersTarget(config: Config): DrillTarget {
  const live = config.folders.folders;
  const scratchOf = (folder: string): string => {
    const path = join(dirname(folder), `${SCRATCH_PREFIX.folders}${basename(folder)}`);
    if (live.includes(path)) throw new ScratchNameError('folders', path);
    return path;
  };
  const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false);
  return {
    store: 'folders',
    checkNames() {
      for (const f of live) scratchOf(f);
    },
    neededBytes(artifacts, factor) {
      return artifacts.reduce((n, a) => n + Object.entries(a.counts).reduce((m, [k, v]) => m + (k.endsWith('.bytes') ? v : 0), 0), 0) * factor;
    },
    async space() {
      const first = live[0];
      if (!first || !(await exists(dirname(first)))) return undefined;
      const s = await statfs(dirname(first));
      return { freeBytes: s.bavail * s.bsize, where: dirname(first) };
    },
    async removeLeftovers() {
      const removed: string[] = [];
      for (const f of live) {
        const s = scratchOf(f);
        if (!(await exists(s))) continue;
        await rm(s, { recursive: true, force: true });
        removed.push(`folders ${s}`);
      }
      return removed;
    },
    async drill(artifacts: Artifact[], ctx: DrillContext) {
      let records = 0;
      let bytes = 0;
      for (const a of artifacts) {
        const folder = text(a, 'folder');
        if (text(a, 'format') === 'sqlite' || !folder) continue;
        const scratch = scratchOf(folder);
        try {
          await rm(scratch, { recursive: true, force: true });
          const read = await readFolderArchive(join(ctx.root, a.path), ctx.signal, scratch);
          if (read.problems.length > 0) return { ok: false, records, bytes, compared: 'manifest' as const, difference: `${a.path}: ${read.problems[0]}` };
          const found = await summarizeFolder(scratch);
          const slug = text(a, 'slug') ?? '';
          const want = a.counts[`${slug}.files`];
          if (want !== undefined && found.files !== want) return { ok: false, records, bytes, compared: 'manifest' as const, difference: `${folder}: ${found.files} files restored, ${want} in the set` };
          if (found.contentDigest !== text(a, 'contentDigest')) return { ok: false, records, bytes, compared: 'manifest' as const, difference: `${folder}: same number of files (${found.files}) but different content` };
          records += found.files;
          bytes += found.bytes;
        } finally {
          await rm(scratch, { recursive: true, force: true });
        }
      }
      return { ok: true, records, bytes, compared: 'manifest' as const };
    },
    close: async () => undefined,
  };
}
