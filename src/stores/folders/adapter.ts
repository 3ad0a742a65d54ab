/** The folders StoreAdapter: see index.ts. */
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { sha256File } from '../../backup/checksum.ts';
import { unchangedSinceVerified } from '../../backup/identity.ts';
import type { Config } from '../../config.ts';
import { BotError, StoreError, VerificationError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type { Artifact, Counts, StoreAdapter, StoreContext } from '../types.ts';
import { archiveFolder, readFolderArchive } from './archive.ts';
import { backupSqlite, checkSqlite } from './sqlite.ts';

/** `/data/vsexport` → `data-vsexport`: the folder's name in the set. */
export function folderSlug(path: string): string {
  return path.replace(/^\/+|\/+$/g, '').replace(/[^A-Za-z0-9_.-]+/g, '-') || 'root';
}

/**
 * Where a folder's archive goes in the set: a folder named `vsexport` exactly where OpenCRVS's
 * backup.sh puts it (`vsexport/ocrvs-<label>.tar.gz`), any other in `folders/<slug>-<label>.tar.gz`.
 */
export function folderArtifactPath(folder: string, label: string): string {
  return basename(folder) === 'vsexport' ? `vsexport/ocrvs-${label}.tar.gz` : `folders/${folderSlug(folder)}-${label}.tar.gz`;
}

function meta(a: Artifact, key: string): string | undefined {
  const v = a.meta?.[key];
  return typeof v === 'string' ? v : undefined;
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}

/** Files and bytes of a folder, without reading the files (for counts). */
async function countFolder(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  async function go(d: string): Promise<void> {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) await go(full);
      else if (e.isFile()) {
        files += 1;
        bytes += (await stat(full)).size;
      }
    }
  }
  await go(dir);
  return { files, bytes };
}

function wrap(err: unknown, what: string): BotError {
  if (err instanceof BotError) return err;
  return new StoreError('folders', `${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

export function createFoldersAdapter(config: Config, logger?: Logger): StoreAdapter {
  const { folders, mosipSqliteFile } = config.folders;
  const timeoutMs = config.storeTimeoutMs;

  async function checkArtifact(a: Artifact, ctx: StoreContext): Promise<string[]> {
    const file = join(ctx.root, a.path);
    if (meta(a, 'format') === 'sqlite') {
      const r = await checkSqlite(file, timeoutMs, ctx.signal).catch((err: unknown) => ({ ok: false, detail: (err as Error).message, tables: -1 }));
      const problems = r.ok ? [] : [`${a.path}: sqlite integrity check failed: ${r.detail}`];
      const want = a.counts['mosip.tables'];
      if (r.ok && want !== undefined && r.tables !== want) problems.push(`${a.path}: ${r.tables} tables, the manifest ${want}`);
      return problems;
    }
    const slug = meta(a, 'slug') ?? '';
    try {
      const { summary, problems } = await readFolderArchive(file, ctx.signal);
      const out = problems.map((p) => `${a.path}: ${p}`);
      if (summary.contentDigest !== meta(a, 'contentDigest')) out.push(`${a.path}: its files differ from those the manifest recorded`);
      if (summary.files !== a.counts[`${slug}.files`]) out.push(`${a.path}: ${summary.files} files, the manifest ${a.counts[`${slug}.files`] ?? 0}`);
      return out;
    } catch (err) {
      return [`${a.path}: not a readable .tar.gz (${(err as Error).message.slice(0, 200)})`];
    }
  }

  /** Extracts into a sibling folder, checks it, then swaps it in; the old content goes last. */
  async function restoreFolder(a: Artifact, ctx: StoreContext): Promise<Counts> {
    const target = meta(a, 'folder');
    const slug = meta(a, 'slug');
    if (!target || !slug || !target.startsWith('/')) throw new VerificationError(ctx.label, [`${a.path}: the manifest does not say which folder it is`]);
    const staging = join(dirname(target), `.${basename(target)}.crvs-restore`);
    const old = join(dirname(target), `.${basename(target)}.crvs-old`);
    // Leftovers of an interrupted restore: the staging copy is rebuilt; an old copy whose swap did
    // not finish is the live content if the live folder is missing.
    await rm(staging, { recursive: true, force: true });
    if (!(await isDir(target)) && (await isDir(old))) await rename(old, target);
    await rm(old, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    const { summary, problems } = await readFolderArchive(join(ctx.root, a.path), ctx.signal, staging);
    if (problems.length > 0 || summary.contentDigest !== meta(a, 'contentDigest')) {
      await rm(staging, { recursive: true, force: true });
      throw new StoreError('folders', `${a.path}: the extracted files differ from the set; ${target} was left as it was`);
    }
    if (await isDir(target)) await rename(target, old);
    await rename(staging, target);
    await rm(old, { recursive: true, force: true });
    ctx.progress({ store: 'folders', message: `${target}: ${summary.files} files restored` });
    return { [`${slug}.files`]: summary.files, [`${slug}.bytes`]: summary.bytes };
  }

  async function restoreSqlite(a: Artifact, ctx: StoreContext): Promise<Counts> {
    const target = meta(a, 'sqliteFile');
    if (!target) throw new VerificationError(ctx.label, [`${a.path}: the manifest does not say which file it is`]);
    const staging = `${target}.crvs-restore`;
    await mkdir(dirname(target), { recursive: true });
    await copyFile(join(ctx.root, a.path), staging);
    if ((await sha256File(staging)).sha256 !== a.sha256) {
      await rm(staging, { force: true });
      throw new StoreError('folders', `${a.path}: the copy differs from the set; ${target} was left as it was`);
    }
    // A write-ahead log of the old file would be replayed into the restored one: it goes with it.
    await rm(`${target}-wal`, { force: true });
    await rm(`${target}-shm`, { force: true });
    await rename(staging, target);
    const r = await checkSqlite(target, timeoutMs, ctx.signal);
    return { 'mosip.tables': r.tables };
  }

  return {
    name: 'folders',

    async version() {
      const parts: string[] = [];
      for (const f of folders) {
        if (!(await isDir(f))) throw new StoreError('folders', `the folder ${f} (BACKUP_FOLDERS) does not exist`);
        const c = await countFolder(f);
        parts.push(`${f} (${c.files} files)`);
      }
      if (mosipSqliteFile) parts.push(`${mosipSqliteFile} (sqlite)`);
      return parts.join(', ') || 'no folder configured';
    },

    async backup(ctx) {
      await mkdir(join(ctx.root, 'folders'), { recursive: true });
      const artifacts: Artifact[] = [];
      for (const folder of folders) {
        const started = Date.now();
        if (!(await isDir(folder))) throw new StoreError('folders', `the folder ${folder} (BACKUP_FOLDERS) does not exist: nothing of it could be backed up`);
        const slug = folderSlug(folder);
        const path = folderArtifactPath(folder, ctx.label);
        await mkdir(dirname(join(ctx.root, path)), { recursive: true });
        try {
          const r = await archiveFolder(folder, join(ctx.root, path), ctx.signal);
          if (r.skipped.length > 0) logger?.warn({ folder, skipped: r.skipped.slice(0, 20) }, 'not regular files: left out of the archive');
          ctx.progress({ store: 'folders', message: `${folder}: ${r.summary.files} files`, bytes: r.bytes });
          artifacts.push({
            store: 'folders',
            path,
            kind: 'file',
            bytes: r.bytes,
            sha256: r.sha256,
            counts: { [`${slug}.files`]: r.summary.files, [`${slug}.bytes`]: r.summary.bytes },
            durationMs: Date.now() - started,
            meta: { folder, slug, format: 'tar.gz', contentDigest: r.summary.contentDigest },
          });
        } catch (err) {
          if (ctx.signal.aborted) throw err;
          throw wrap(err, `backup of ${folder} failed`);
        }
      }
      if (mosipSqliteFile) {
        const started = Date.now();
        const path = `folders/mosip-${ctx.label}.sqlite`;
        const file = join(ctx.root, path);
        if (!(await stat(mosipSqliteFile).then((s) => s.isFile(), () => false))) throw new StoreError('folders', `MOSIP_SQLITE_FILE ${mosipSqliteFile} does not exist`);
        await rm(`${file}.partial`, { force: true });
        await backupSqlite(mosipSqliteFile, `${file}.partial`, timeoutMs, ctx.signal);
        const check = await checkSqlite(`${file}.partial`, timeoutMs, ctx.signal);
        if (!check.ok) throw new StoreError('folders', `the copy of ${mosipSqliteFile} fails sqlite's integrity check: ${check.detail}`);
        await rename(`${file}.partial`, file);
        const { sha256, bytes } = await sha256File(file);
        artifacts.push({ store: 'folders', path, kind: 'file', bytes, sha256, counts: { 'mosip.tables': check.tables }, durationMs: Date.now() - started, meta: { sqliteFile: mosipSqliteFile, format: 'sqlite' } });
      }
      return artifacts;
    },

    async verify(artifacts, ctx) {
      const problems: string[] = [];
      for (const a of artifacts.filter((x) => x.store === 'folders')) problems.push(...(await checkArtifact(a, ctx)));
      return problems;
    },

    async counts() {
      const out: Counts = {};
      for (const f of folders) {
        if (!(await isDir(f))) continue;
        const c = await countFolder(f);
        out[`${folderSlug(f)}.files`] = c.files;
        out[`${folderSlug(f)}.bytes`] = c.bytes;
      }
      if (mosipSqliteFile && (await stat(mosipSqliteFile).then(() => true, () => false))) {
        out['mosip.tables'] = (await checkSqlite(mosipSqliteFile, timeoutMs, AbortSignal.timeout(timeoutMs))).tables;
      }
      return out;
    },

    async restore(artifacts, ctx) {
      const mine = artifacts.filter((x) => x.store === 'folders');
      const problems: string[] = [];
      if (ctx.verified) {
        // Verified in full moments ago (the restore job): unchanged since. The extraction checks
        // the files' digest again in a staging folder before anything is swapped.
        problems.push(...(await unchangedSinceVerified(ctx.root, ctx.verified, mine)).map((p) => `${p} (changed since the set was verified)`));
      } else {
        for (const a of mine) {
          ctx.onFullRead?.(a.path);
          problems.push(...(await checkArtifact(a, ctx)));
        }
      }
      if (problems.length > 0) throw new VerificationError(ctx.label, problems);
      const counts: Counts = {};
      for (const a of mine) {
        try {
          Object.assign(counts, meta(a, 'format') === 'sqlite' ? await restoreSqlite(a, ctx) : await restoreFolder(a, ctx));
        } catch (err) {
          if (ctx.signal.aborted) throw err;
          throw wrap(err, `restore of ${a.path} failed`);
        }
      }
      return counts;
    },

    async adopt(label, ctx) {
      const artifacts: Artifact[] = [];
      for (const folder of folders) {
        const path = folderArtifactPath(folder, label);
        const file = join(ctx.root, path);
        if (!(await stat(file).then((s) => s.isFile(), () => false))) continue;
        const started = Date.now();
        ctx.progress({ store: 'folders', message: `reading ${path}` });
        const { summary, problems } = await readFolderArchive(file, ctx.signal).catch((err: unknown) => {
          throw new StoreError('folders', `${path} is not a readable .tar.gz: ${(err as Error).message}`);
        });
        if (problems.length > 0) throw new StoreError('folders', `${path}: ${problems.slice(0, 3).join('; ')}`);
        const { sha256, bytes } = await sha256File(file);
        const slug = folderSlug(folder);
        artifacts.push({
          store: 'folders',
          path,
          kind: 'file',
          bytes,
          sha256,
          counts: { [`${slug}.files`]: summary.files, [`${slug}.bytes`]: summary.bytes },
          durationMs: Date.now() - started,
          meta: { folder, slug, format: 'tar.gz', contentDigest: summary.contentDigest },
        });
      }
      return artifacts;
    },

    async close() {
      /* nothing held open */
    },
  };
}
