/**
 * Local record of what a copy has stored and verified: the sha256 of the stored bytes of each file.
 * Plain files can be checked against the manifest, but an encrypted file's stored checksum is only
 * known to the run that encrypted it; the journal lets a later run skip those files too.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const journalSchema = z.object({
  remoteDir: z.string(),
  encrypted: z.boolean(),
  files: z.record(z.object({ bytes: z.number(), sha256: z.string(), plainSha256: z.string().optional() })),
});

export type Journal = z.infer<typeof journalSchema>;

function file(root: string, label: string): string {
  return join(root, '.offsite', `${label}.json`);
}

/** The journal of a set for this remote folder and mode, or an empty one. */
export function readJournal(root: string, label: string, remoteDir: string, encrypted: boolean): Journal {
  const empty: Journal = { remoteDir, encrypted, files: {} };
  try {
    const parsed = journalSchema.safeParse(JSON.parse(readFileSync(file(root, label), 'utf8')));
    if (!parsed.success || parsed.data.remoteDir !== remoteDir || parsed.data.encrypted !== encrypted) return empty;
    return parsed.data;
  } catch {
    return empty;
  }
}

/** Writes the journal atomically. */
export function writeJournal(root: string, label: string, j: Journal): void {
  mkdirSync(join(root, '.offsite'), { recursive: true });
  const tmp = `${file(root, label)}.tmp`;
  writeFileSync(tmp, JSON.stringify(j));
  renameSync(tmp, file(root, label));
}
