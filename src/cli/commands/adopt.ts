/**
 * `crvs-backup adopt <label> [--archive <file>... --passphrase-file <file>]`: makes a set written by
 * the old OpenCRVS scripts restorable by the bot, after unpacking OpenCRVS's encrypted archives.
 */
import { readFileSync } from 'node:fs';
import { adoptLegacySet, NO_LEGACY_FILE } from '../../backup/adopt.ts';
import { unpackUpstreamArchive } from '../../backup/upstream-archive.ts';
import { InputError } from '../../errors.ts';
import { recordCount } from '../../stores/counts.ts';
import type { Runtime } from '../../runtime.ts';
import { createPrinter, formatBytes } from '../output.ts';

export interface AdoptOptions {
  archive?: string[];
  passphraseFile?: string;
}

/** The passphrase file's first line (openssl's `-pass file:` reads the same). */
function passphrase(file: string): Buffer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`Cannot read the passphrase file ${file}: ${(err as Error).message}`, 'bad_passphrase_file');
  }
  const first = text.split(/\r?\n/)[0] ?? '';
  if (first === '') throw new InputError(`The passphrase file ${file} is empty`, 'bad_passphrase_file');
  return Buffer.from(first, 'utf8');
}

export async function adoptCommand(rt: Runtime, label: string, o: AdoptOptions = {}): Promise<number> {
  const printer = createPrinter();
  if (o.archive && o.archive.length > 0) {
    if (!o.passphraseFile) throw new InputError('--archive needs --passphrase-file (the passphrase the archives were encrypted with)', 'missing_passphrase');
    const pass = passphrase(o.passphraseFile);
    for (const file of o.archive) {
      const r = await unpackUpstreamArchive(file, pass, rt.config.backupRoot);
      printer.line(`✓ ${file}: ${r.files.length} file(s) unpacked into the backup root${r.store ? ` (${r.store})` : ''}`);
    }
  }
  const outcome = await adoptLegacySet(rt.deps, label, { onProgress: (p) => printer.progress(p) });
  printer.done();
  const { manifest } = outcome;
  for (const s of manifest.stores) {
    const mine = manifest.artifacts.filter((a) => a.store === s.store);
    if (!s.ok) {
      printer.line(`${s.error === NO_LEGACY_FILE ? '–' : '✗'} ${s.store}: ${s.error ?? 'failed'}`);
      continue;
    }
    const bytes = formatBytes(mine.reduce((n, a) => n + a.bytes, 0));
    const counted = mine.reduce((n, a) => n + recordCount(a.store, a.counts), 0);
    const counts = outcome.countsUnknown.includes(s.store) ? 'counts not recorded (legacy set)' : `${counted} records counted`;
    printer.line(`✓ ${s.store}: ${mine.length} artifact(s), ${bytes}, ${counts}`);
  }
  printer.line(`Manifest written: manifests/${label}.json (origin: legacy)`);
  if (outcome.problems.length === 0) {
    printer.line(`✓ ${label} verified: restore it with \`crvs-backup restore ${label} --yes\` (or through the bot)`);
    return 0;
  }
  printer.line(`✗ ${label} does not verify as a whole:\n${outcome.problems.map((p) => `- ${p}`).join('\n')}`);
  return 1;
}
