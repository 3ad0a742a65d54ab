/**
 * Adapts src/offsite (the SFTP copy to the backup server) to the OffsiteCopier the pipeline and
 * the core use. Undefined when no backup server is configured.
 */
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { backupServerSpace, copySetOffsite, listRemoteSets, pruneRemote, pullSet } from '../offsite/index.ts';
import { readLocalManifest } from '../offsite/set-manifest.ts';
import type { OffsiteCopier } from './types.ts';

/**
 * The offsite functions take no AbortSignal: the pipeline bounds each call with withTimeout, and
 * their own retries are bounded (DEFAULT_RETRY), so an abandoned call ends by itself.
 */
export function createOffsiteCopier(config: Config, logger: Logger): OffsiteCopier | undefined {
  if (!config.backupServer) return undefined;
  const log = logger.child({ component: 'offsite' });
  return {
    async copySet(label) {
      const manifest = await readLocalManifest(config.backupRoot, label);
      const r = await copySetOffsite({
        config,
        manifest,
        localRoot: config.backupRoot,
        onProgress: (p) => log.debug({ phase: p.phase }, p.message),
      });
      // copySetOffsite fails unless the server's sha256 of every file matches: returning means verified.
      const detail = `${r.verified} files checked by sha256 on the backup server (${r.files} sent, ${r.skipped} already there)${r.encrypted ? ', encrypted' : ''}`;
      return { bytes: r.bytesSent, files: r.files, remoteChecksumsOk: true, detail };
    },
    async pruneRemote() {
      const r = await pruneRemote({ config });
      return { removed: r.deleted };
    },
    async freeSpace() {
      const s = await backupServerSpace(config);
      return { freeBytes: s.availableBytes, totalBytes: s.totalBytes, freePercent: s.freePercent };
    },
    async listSets() {
      const sets = await listRemoteSets(config);
      return sets.map((s) => ({ label: s.label, createdAt: new Date(s.storedAt).toISOString(), bytes: 0, complete: s.complete, manifestSha256: undefined }));
    },
    async pullSet(label) {
      await pullSet({ config, label });
    },
  };
}
