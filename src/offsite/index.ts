/** The offsite copy: SFTP to the backup server with a pinned host key, verified on the server. */
export { copySetOffsite, type CopyOptions, type CopyResult } from './copy.ts';
export { pullSet, type PullResult } from './pull.ts';
export { backupServerSpace, listRemoteSets, pruneRemote, type PruneResult, type RemoteSet } from './retention.ts';
export { OffsiteError } from './errors.ts';
export { hostKeyFingerprint, openSession, type RemoteSession } from './session.ts';
export { remoteFreeSpace, type RemoteSpace } from './remote.ts';
export type { SetManifest } from './set-manifest.ts';
export type { OffsiteProgress, RetryPolicy } from './types.ts';
