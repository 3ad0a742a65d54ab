/**
 * Copies one backup set to the backup server: every file of the set into `<dir>/<label>/<path>`,
 * the Elasticsearch repository into the shared mirror `<dir>/elasticsearch/`, then the offsite
 * record, and the manifest LAST: a remote set counts as complete only once its manifest exists,
 * and every file reaches its final name only after the server's sha256 matched.
 * A broken connection is retried (bounded backoff); verified files are never sent again.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256File } from '../backup/checksum.ts';
import type { Config } from '../config.ts';
import { loadOffsiteKey, type OffsiteKey } from '../crypto/key.ts';
import { requireServer, withRetry, type BackupServer } from './connect.ts';
import { ES_MIRROR, mirrorEsRepository } from './es-mirror.ts';
import { readJournal, writeJournal, type Journal } from './journal.ts';
import { assertLabel, rdirname, rjoin } from './paths.ts';
import { putVerified, type PutCounters, type PutItem } from './put.ts';
import { mkdirs, remoteFreeSpace, remoteSizes, storedSha256 } from './remote.ts';
import { openSession, type RemoteSession } from './session.ts';
import { hasEsRepository, manifestRelPath, setFiles, type SetFile, type SetManifest } from './set-manifest.ts';
import { DEFAULT_RETRY, RECORD_NAME, type OffsiteRecord, type ProgressFn, type RetryPolicy } from './types.ts';

export interface CopyOptions {
  config: Config;
  manifest: SetManifest;
  /** The local backup root the manifest's paths are relative to. */
  localRoot: string;
  onProgress?: ProgressFn;
  retry?: Partial<RetryPolicy>;
  /** Overrides the key from the configuration (null: no encryption). */
  key?: OffsiteKey | null;
  /** Connections used at once for the set's files (default: put.ts LANES). */
  lanes?: number;
  /** Encrypt on the main thread instead of a worker thread (for bench/offsite.ts). */
  inlineEncryption?: boolean;
}

/** What a copy did. */
export interface CopyResult {
  label: string;
  /** Files sent in this call (set files, Elasticsearch files, record and manifest). */
  files: number;
  bytesSent: number;
  /** Files already on the server with the right checksum (or, in the ES mirror, size). */
  skipped: number;
  /** Files whose sha256 was computed on the server and matched. */
  verified: number;
  esSent: number;
  esSkipped: number;
  encrypted: boolean;
  /** Connection tries used (1 when nothing broke). */
  attempts: number;
  /** Uploads started, including ones cut by a broken connection. */
  uploads: number;
  remoteFreePercent: number;
  remoteAvailableBytes: number;
  durationMs: number;
}

interface CopyState {
  server: BackupServer;
  m: SetManifest;
  root: string;
  key: OffsiteKey | undefined;
  files: SetFile[];
  journal: Journal;
  stored: Map<string, { remote: string; bytes: number; sha256: string }>;
  counters: PutCounters;
  result: CopyResult;
  onProgress: ProgressFn | undefined;
  lanes: number | undefined;
  inlineEncryption: boolean | undefined;
}

/** Copies a set offsite; see the module comment. Throws OffsiteError. */
export async function copySetOffsite(opts: CopyOptions): Promise<CopyResult> {
  const started = Date.now();
  const server = requireServer(opts.config);
  const m = opts.manifest;
  assertLabel(m.label);
  const key = opts.key === undefined ? loadOffsiteKey(opts.config) : (opts.key ?? undefined);
  const setDir = rjoin(server.dir, m.label);
  const st: CopyState = {
    server,
    m,
    root: opts.localRoot,
    key,
    files: setFiles(m),
    journal: readJournal(opts.localRoot, m.label, setDir, key !== undefined),
    stored: new Map(),
    counters: { uploads: 0, bytesSent: 0 },
    onProgress: opts.onProgress,
    lanes: opts.lanes,
    inlineEncryption: opts.inlineEncryption,
    result: {
      label: m.label, files: 0, bytesSent: 0, skipped: 0, verified: 0, esSent: 0, esSkipped: 0, encrypted: key !== undefined,
      attempts: 0, uploads: 0, remoteFreePercent: 0, remoteAvailableBytes: 0, durationMs: 0,
    },
  };
  const policy = { ...DEFAULT_RETRY, ...opts.retry };
  await withRetry(policy, opts.onProgress, async (attempt) => {
    st.result.attempts = attempt;
    opts.onProgress?.({ phase: 'connect', attempt, message: `connecting to ${server.host}:${server.port} (try ${attempt})` });
    const s = await openSession(server, { timeoutMs: opts.config.connectTimeoutMs });
    try {
      await copyAttempt(s, st);
    } finally {
      s.close();
    }
  });
  st.result.uploads = st.counters.uploads;
  st.result.bytesSent = st.counters.bytesSent;
  st.result.durationMs = Date.now() - started;
  opts.onProgress?.({ phase: 'done', message: `offsite copy of ${m.label}: ${st.result.files} sent, ${st.result.skipped} already there, ${st.result.verified} verified` });
  return st.result;
}

async function copyAttempt(s: RemoteSession, st: CopyState): Promise<void> {
  const setDir = rjoin(st.server.dir, st.m.label);
  const suffix = st.key ? '.enc' : '';
  const pending = st.files.filter((f) => !st.stored.has(f.rel));
  const remoteOf = (f: SetFile): string => rjoin(setDir, f.rel + suffix);
  // What a stored copy must be: the manifest's sha256, or for ciphertext the journal's record.
  const want = (f: SetFile): { sha256: string; bytes: number } | undefined => (st.key ? st.journal.files[f.rel + suffix] : f);
  // A copy already there is hashed only when its size is right: a first copy runs no command.
  const [sizes] = await Promise.all([
    remoteSizes(s, pending.map(remoteOf)),
    mkdirs(s, [setDir, rjoin(setDir, 'manifests'), ...pending.map((f) => rdirname(remoteOf(f)))]),
  ]);
  const candidates = pending.filter((f) => want(f) !== undefined && sizes.get(remoteOf(f)) === want(f)?.bytes);
  const sums = await storedSha256(s, candidates.map((f) => ({ path: remoteOf(f), bytes: want(f)?.bytes ?? 0 })));
  const toSend: PutItem[] = [];
  // Largest first: the server hashes each file while the next one is sent, so only the last
  // file's hash is left to wait for at the end — let that be the smallest. The set is complete
  // only once its manifest is stored, whatever order its files reach their final names in.
  for (const f of [...pending].sort((a, b) => b.bytes - a.bytes)) {
    const remoteRel = f.rel + suffix;
    const expected = want(f);
    const found = sums.get(remoteOf(f));
    if (expected !== undefined && found === expected.sha256) {
      st.stored.set(f.rel, { remote: remoteRel, bytes: expected.bytes, sha256: found });
      st.result.skipped++;
      st.result.verified++;
      st.onProgress?.({ phase: 'skip', path: remoteRel, message: `${remoteRel} already on the server (sha256 matches)` });
    } else {
      toSend.push({ local: join(st.root, f.rel), remote: remoteOf(f), display: remoteRel, expectSha: f.sha256 });
    }
  }
  await putVerified(s, toSend, {
    key: st.key,
    lanes: st.lanes,
    inlineEncryption: st.inlineEncryption,
    counters: st.counters,
    onProgress: st.onProgress,
    onVerified: (d) => {
      const rel = d.item.display;
      st.stored.set(rel.slice(0, rel.length - suffix.length), { remote: rel, bytes: d.bytes, sha256: d.sha256 });
      st.journal.files[rel] = { bytes: d.bytes, sha256: d.sha256 };
      writeJournal(st.root, st.m.label, st.journal);
      st.result.files++;
      st.result.verified++;
    },
  });

  const esPath = hasEsRepository(st.m);
  if (esPath !== undefined) {
    const r = await mirrorEsRepository(s, {
      localDir: join(st.root, esPath),
      remoteDir: rjoin(st.server.dir, ES_MIRROR),
      key: st.key,
      counters: st.counters,
      onProgress: st.onProgress,
      journal: st.journal,
    });
    writeJournal(st.root, st.m.label, st.journal);
    st.result.esSent += r.sent.length;
    st.result.esSkipped += r.skipped;
    st.result.skipped += r.skipped;
    st.result.files += r.sent.length;
    st.result.verified += r.sent.length;
  }

  await putRecordAndManifest(s, st, writeRecord(st));
  const space = await remoteFreeSpace(s, st.server.dir);
  st.result.remoteFreePercent = space.freePercent;
  st.result.remoteAvailableBytes = space.availableBytes;
}

/** The record of stored checksums, written locally (deterministic content) for upload. */
function writeRecord(st: CopyState): string {
  const record: OffsiteRecord = {
    format: 1,
    label: st.m.label,
    encrypted: st.key !== undefined,
    files: st.files.map((f) => {
      const s = st.stored.get(f.rel);
      if (!s) throw new Error(`internal: ${f.rel} was not stored`);
      return { path: f.rel, remote: s.remote, bytes: s.bytes, sha256: s.sha256 };
    }),
  };
  mkdirSync(join(st.root, '.offsite'), { recursive: true });
  const file = join(st.root, '.offsite', `${st.m.label}.${RECORD_NAME}`);
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  return file;
}

/**
 * Record, then manifest: never encrypted (listing, retention and pull read them without the key),
 * skipped when already identical. Both are verified in one batch and renamed in this order.
 */
async function putRecordAndManifest(s: RemoteSession, st: CopyState, record: string): Promise<void> {
  const setDir = rjoin(st.server.dir, st.m.label);
  const rel = manifestRelPath(st.m.label);
  const items: PutItem[] = [
    { local: record, remote: rjoin(setDir, RECORD_NAME), display: RECORD_NAME },
    { local: join(st.root, rel), remote: rjoin(setDir, rel), display: rel },
  ];
  const sizes = await remoteSizes(s, items.map((i) => i.remote));
  const local = await Promise.all(items.map(async (i) => ({ item: i, ...(await sha256File(i.local)) })));
  const same = local.filter((l) => sizes.get(l.item.remote) === l.bytes);
  const sums = await storedSha256(s, same.map((l) => ({ path: l.item.remote, bytes: l.bytes })));
  const todo: PutItem[] = [];
  for (const l of local) {
    if (sums.get(l.item.remote) === l.sha256) st.result.skipped++;
    else todo.push({ ...l.item, expectSha: l.sha256 });
  }
  st.result.verified += items.length;
  st.result.files += todo.length;
  await putVerified(s, todo, { key: undefined, counters: st.counters, onProgress: st.onProgress });
}
