/** A small fake backup set on disk (files, a dir artifact, an ES-like repository) with its manifest. */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Artifact } from '../../src/stores/types.ts';
import type { SetManifest } from '../../src/offsite/set-manifest.ts';
import { makeFile } from '../../bench/files.ts';

function sha(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function put(root: string, rel: string, data: Buffer): { bytes: number; sha256: string } {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), data);
  return { bytes: data.length, sha256: sha(data) };
}

/** Writes `mib` MiB of random bytes in 1 MiB pieces (never the whole file in memory). */
async function bigFile(path: string, mib: number): Promise<{ bytes: number; sha256: string }> {
  return { bytes: mib * 1024 * 1024, sha256: await makeFile(path, mib) };
}

/** Adds or replaces ES repository files (relative to <root>/elasticsearch). */
export function writeEsFiles(root: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) put(root, `elasticsearch/${rel}`, Buffer.from(content));
}

/** Builds set `label` under `root`; `bigMiB` 0 leaves out the big dump. */
export async function makeSet(root: string, label: string, opts: { bigMiB?: number; es?: boolean } = {}): Promise<SetManifest> {
  const artifacts: Artifact[] = [];
  const base = { counts: {}, durationMs: 1 };
  const users = put(root, `mongo/user-mgnt-${label}.gz`, randomBytes(3000));
  artifacts.push({ ...base, store: 'mongo', path: `mongo/user-mgnt-${label}.gz`, kind: 'file', ...users });
  const dirFiles = [
    { path: 'meta.00', ...put(root, `influxdb/${label}/meta.00`, randomBytes(700)) },
    { path: 'ocrvs.autogen.00001.00', ...put(root, `influxdb/${label}/ocrvs.autogen.00001.00`, randomBytes(70_000)) },
    { path: 'nested/empty.txt', ...put(root, `influxdb/${label}/nested/empty.txt`, Buffer.alloc(0)) },
  ];
  const listing = dirFiles.map((f) => `${f.path} ${f.sha256}\n`).sort().join('');
  artifacts.push({
    ...base, store: 'influxdb', path: `influxdb/${label}`, kind: 'dir',
    bytes: dirFiles.reduce((n, f) => n + f.bytes, 0), sha256: sha(Buffer.from(listing)), files: dirFiles,
  });
  if ((opts.bigMiB ?? 0) > 0) {
    const big = await bigFile(join(root, `mongo/hearth-dev-${label}.gz`), opts.bigMiB ?? 0);
    artifacts.push({ ...base, store: 'mongo', path: `mongo/hearth-dev-${label}.gz`, kind: 'file', ...big });
  }
  if (opts.es ?? true) {
    const uuid = createHash('md5').update(label).digest('hex').slice(0, 20);
    writeEsFiles(root, {
      [`indices/idx-${uuid}/0/__blob-${uuid}`]: randomBytes(90_000),
      [`indices/idx-${uuid}/meta-${uuid}.dat`]: randomBytes(300),
      [`snap-${uuid}.dat`]: randomBytes(400),
      [`meta-${uuid}.dat`]: randomBytes(200),
      'index-0': `{"snapshots":["${label}"]}`,
      'index.latest': Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]),
    });
    artifacts.push({ ...base, store: 'elasticsearch', path: 'elasticsearch', kind: 'es-snapshot', bytes: 0, sha256: sha(Buffer.from(uuid)) });
  }
  const manifest: SetManifest = { label, artifacts };
  put(root, `manifests/${label}.json`, Buffer.from(JSON.stringify({ version: 1, label, artifacts }, null, 2)));
  return manifest;
}

/** sha256 of a file on disk (test side; files are small or read once). */
export function fileSha(path: string): string {
  return sha(readFileSync(path));
}
