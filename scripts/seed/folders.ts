/**
 * Seeds the `folders` store: OpenCRVS's /data/vsexport holds the VS export files (CSV and zip
 * archives per month); here, deterministic files in nested folders, one binary. The folders are
 * emptied first. Refuses a folder outside the local services' folder: seeding replaces content.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { folderSlug } from '../../src/stores/folders/index.ts';
import { createRng } from './rng.ts';
import type { Seeder } from './types.ts';

export const seedFolders: Seeder = async (config, options) => {
  const rng = createRng(options.seed);
  const counts: Record<string, number> = {};
  for (const folder of config.folders.folders) {
    const servicesDir = process.env['CRVS_SERVICES_DIR'];
    const inServices = folder.includes('/.services') || folder.includes('/crvs-') || (servicesDir !== undefined && servicesDir !== '' && folder.startsWith(`${servicesDir.replace(/\/+$/, '')}/`));
    if (!inServices) throw new Error(`refusing to seed ${folder}: only the local services' folders are seeded`);
    await rm(folder, { recursive: true, force: true });
    let files = 0;
    let bytes = 0;
    const months = Math.max(1, Math.round(6 * options.scale));
    for (let m = 1; m <= months; m++) {
      const dir = join(folder, `2026-${String(((m - 1) % 12) + 1).padStart(2, '0')}`, `batch-${Math.floor((m - 1) / 12)}`);
      await mkdir(dir, { recursive: true });
      const rows = Array.from({ length: 50 }, (_, i) => `${m},${i},${rng.int(1000, 9999)},birth,${rng.pick(['Ibombo', 'Isamba', 'Ilanga'])}`);
      const csv = Buffer.from(`month,row,code,event,district\n${rows.join('\n')}\n`);
      const blob = Buffer.from(Array.from({ length: 4096 }, () => rng.int(0, 255)));
      await writeFile(join(dir, 'births.csv'), csv);
      await writeFile(join(dir, 'export.bin'), blob);
      files += 2;
      bytes += csv.length + blob.length;
    }
    counts[`${folderSlug(folder)}.files`] = files;
    counts[`${folderSlug(folder)}.bytes`] = bytes;
  }
  return counts;
};
