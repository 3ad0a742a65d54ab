/**
 * The InfluxDB store, as OpenCRVS does it: `influxd backup -portable -database <db> -host <rpc>`
 * into `influxdb/<label>/` (files `*.meta`, `*.sNN.tar.gz`, `*.manifest`), and
 * `DROP DATABASE` + `influxd restore -portable` to restore (a restore into an existing database fails).
 * Before the drop, influxd's host is asked whether influxd runs and reads the folder (preflight.ts).
 *
 * `influxd` runs through the exec layer where INFLUX_EXEC says: locally, in a container
 * (docker:<name>) or on the manager node over SSH. The backup folder is written by influxd on that
 * host and read (checksums, verification) by the bot, so BACKUP_ROOT must be the same path on both:
 * the same machine, or the same volume mounted at the same path — as in OpenCRVS, where the backup
 * runs on the manager node and /data/backups is the manager's folder.
 *
 * The RPC endpoint (INFLUX_RPC_ADDRESS, :8088) takes no credentials on 1.x; INFLUX_USERNAME and
 * INFLUX_PASSWORD are used only for the HTTP API (counts, DROP DATABASE), in a header.
 */
import { readdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { dirDigest, hashDir } from '../../backup/checksum.ts';
import type { Config } from '../../config.ts';
import { ExecError, InputError, StoreError, VerificationError } from '../../errors.ts';
import { createExecutor, targetFromSetting, type Executor } from '../../exec/index.ts';
import type { Logger } from '../../log.ts';
import type { Artifact, Counts, StoreAdapter, StoreContext } from '../types.ts';
import { adoptInfluxDir, countsKnown, settledUnknownCounts } from './adopt.ts';
import { measureCounts } from './counts.ts';
import { influxHttpFor, quoteIdent } from './http.ts';
import { restorePreflight } from './preflight.ts';
import { unchangedSinceVerified } from '../../backup/identity.ts';
import { verifyBackupDir } from './verify.ts';

/** Longest wait for restored shards to open before counts are compared. */
const SETTLE_MS = 60_000;
/** Bound of each check made on influxd's host before the drop (an SSH connection included). */
const PREFLIGHT_MS = 120_000;

/** What a test or another caller may replace. */
export interface InfluxAdapterDeps {
  /** Runs influxd; default: the target named by INFLUX_EXEC. */
  executor?: Executor;
}

/** The relative path of the InfluxDB folder of a set. */
export function influxArtifactPath(label: string): string {
  return `influxdb/${label}`;
}

async function isNonEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length > 0;
  } catch {
    return false;
  }
}

/** True when a TCP connection to host:port opens within timeoutMs. */
function tcpReachable(address: string, timeoutMs: number): Promise<boolean> {
  const i = address.lastIndexOf(':');
  const host = i > 0 ? address.slice(0, i).replace(/^\[|\]$/g, '') : '127.0.0.1';
  const port = Number(address.slice(i + 1));
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function pickArtifact(artifacts: Artifact[]): Artifact {
  const a = artifacts.find((x) => x.store === 'influxdb' && x.kind === 'dir');
  if (!a) throw new InputError('This backup set has no InfluxDB folder.');
  return a;
}

function differences(expected: Counts, found: Counts): string[] {
  const keys = [...new Set([...Object.keys(expected), ...Object.keys(found)])].sort();
  return keys
    .filter((k) => (expected[k] ?? 0) !== (found[k] ?? 0))
    .map((k) => `${k}: ${expected[k] ?? 0} in the manifest, ${found[k] ?? 0} after restore`);
}

export function createInfluxAdapter(config: Config, logger: Logger, deps: InfluxAdapterDeps = {}): StoreAdapter {
  const { database: db, rpcAddress: rpc, influxdBin: bin } = config.influx;
  const http = influxHttpFor(config);
  let executor = deps.executor;
  const exec = (): Executor => {
    executor ??= createExecutor(targetFromSetting(config.influx.exec, config.manager, 'INFLUX_EXEC', config.restore.kube.kubeconfig));
    return executor;
  };

  async function influxd(verb: 'backup' | 'restore', args: string[], signal: AbortSignal): Promise<void> {
    const started = Date.now();
    try {
      const res = await exec().run([bin, verb, ...args], { timeoutMs: config.storeTimeoutMs, signal, exclusive: `influxd-${verb}` });
      logger.debug({ verb, ms: Date.now() - started, output: res.stderr.slice(-2000) }, 'influxd finished');
    } catch (err) {
      if (err instanceof ExecError) throw new StoreError('influxdb', `influxd ${verb} failed: ${err.message}`, { cause: err });
      throw err;
    }
  }

  /**
   * influxd retries an unreachable RPC endpoint for about four minutes before it fails, so when it
   * runs here the endpoint is tried first (bounded). From docker or SSH the address is as that host
   * sees it: there only the store timeout bounds the wait.
   */
  async function requireRpc(): Promise<void> {
    if (config.influx.exec !== 'local') return;
    if (!(await tcpReachable(rpc, config.connectTimeoutMs))) {
      throw new StoreError('influxdb', `the backup/restore endpoint ${rpc} (INFLUX_RPC_ADDRESS, bind-address of influxd) does not answer`);
    }
  }

  /**
   * Counts after a restore. influxd answers the restore before every shard is open again (queries
   * then fail with "engine is closed" / "shard is disabled", or see part of the data), so this polls, bounded, until the
   * counts match or the time is up; the last counts (or error) decide.
   */
  async function settledCounts(until: string | undefined, expected: Counts): Promise<Counts> {
    const deadline = Date.now() + Math.min(SETTLE_MS, config.storeTimeoutMs);
    for (;;) {
      try {
        const counts = await measureCounts(http, db, until);
        if (differences(expected, counts).length === 0 || Date.now() > deadline) return counts;
      } catch (err) {
        if (Date.now() > deadline || !(err instanceof StoreError) || !/engine is closed|shard is disabled|shard .*not (found|open)/i.test(err.message)) throw err;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async function requireDatabase(): Promise<void> {
    const series = await http.query('SHOW DATABASES');
    const names = series.flatMap((s) => (s.values ?? []).map((v) => String(v[0])));
    if (!names.includes(db)) throw new StoreError('influxdb', `database ${db} does not exist (INFLUX_DATABASE)`);
  }

  const adapter: StoreAdapter = {
    name: 'influxdb',

    async version() {
      return `InfluxDB ${await http.ping()}`;
    },

    async backup(ctx: StoreContext): Promise<Artifact[]> {
      const started = Date.now();
      const serverVersion = await http.ping();
      await requireDatabase();
      await requireRpc();
      const path = influxArtifactPath(ctx.label);
      const dir = join(ctx.root, path);
      // influxd adds to a folder that already holds a backup, and restore then reads both: never mix.
      if (await isNonEmptyDir(dir)) throw new StoreError('influxdb', `${path} already exists; a set label is used once`);
      const countedUntil = new Date().toISOString();
      ctx.progress({ store: 'influxdb', message: `influxd backup of ${db} started` });
      logger.info({ path, exec: exec().target }, 'influxd backup started');
      await influxd('backup', ['-portable', '-database', db, '-host', rpc, dir], ctx.signal);
      const counts = await measureCounts(http, db, countedUntil);
      const files = await hashDir(dir).catch((err: unknown) => {
        throw new StoreError('influxdb', `cannot read ${path} after the backup (is BACKUP_ROOT the same path where influxd runs?)`, { cause: err });
      });
      if (!files.some((f) => f.path.endsWith('.manifest'))) throw new StoreError('influxdb', `influxd backup wrote no manifest into ${path}`);
      const bytes = files.reduce((n, f) => n + f.bytes, 0);
      ctx.progress({ store: 'influxdb', message: `influxd backup of ${db} done: ${files.length} files`, bytes });
      return [
        {
          store: 'influxdb',
          path,
          kind: 'dir',
          bytes,
          sha256: dirDigest(files),
          files,
          counts,
          durationMs: Date.now() - started,
          meta: { database: db, countedUntil, serverVersion },
        },
      ];
    },

    async verify(artifacts: Artifact[], ctx: StoreContext): Promise<string[]> {
      const a = artifacts.find((x) => x.store === 'influxdb' && x.kind === 'dir');
      if (!a) return ['the set has no InfluxDB folder'];
      const sourceDb = typeof a.meta?.['database'] === 'string' ? a.meta['database'] : db;
      return verifyBackupDir(a, ctx.root, sourceDb, ctx.signal);
    },

    async counts(): Promise<Counts> {
      return measureCounts(http, db);
    },

    async restore(artifacts: Artifact[], ctx: StoreContext): Promise<Counts> {
      const a = pickArtifact(artifacts);
      // Everything is checked before anything is destroyed: read in full here, unless the restore
      // job verified the set moments ago (then its files are checked unchanged since).
      let problems: string[];
      if (ctx.verified) {
        problems = (await unchangedSinceVerified(ctx.root, ctx.verified, [a])).map((p) => `${p} (changed since the set was verified)`);
      } else {
        for (const f of a.files ?? []) ctx.onFullRead?.(`${a.path}/${f.path}`);
        problems = await adapter.verify(artifacts, ctx);
      }
      if (problems.length > 0) throw new VerificationError(ctx.label, problems);
      await http.ping();
      await requireRpc();
      // The local verification says nothing about the host where influxd runs: ask there too.
      const influxdVersion = await restorePreflight(exec(), {
        bin,
        dir: join(ctx.root, a.path),
        files: a.files ?? [],
        timeoutMs: Math.min(config.storeTimeoutMs, PREFLIGHT_MS),
        signal: ctx.signal,
      });
      logger.debug({ exec: exec().target, influxdVersion }, 'influxd can read the backup folder');
      const sourceDb = typeof a.meta?.['database'] === 'string' ? a.meta['database'] : db;
      const countedUntil = typeof a.meta?.['countedUntil'] === 'string' ? a.meta['countedUntil'] : undefined;
      // An earlier `influxd restore` that outlived its stop (a timeout, a bot restart) must end
      // before this one drops the database under it: refused here, inside the container.
      await exec().run(['sh', '-c', ':'], { timeoutMs: Math.min(config.storeTimeoutMs, PREFLIGHT_MS), signal: ctx.signal, exclusive: 'influxd-restore' });
      logger.warn({ database: db, label: ctx.label }, 'dropping InfluxDB database before restore');
      ctx.progress({ store: 'influxdb', message: `dropping ${db} and restoring it from ${a.path}` });
      await http.query(`DROP DATABASE ${quoteIdent(db)}`, { write: true, long: true });
      const rename = sourceDb === db ? [] : ['-newdb', db];
      await influxd('restore', ['-portable', '-db', sourceDb, ...rename, '-host', rpc, join(ctx.root, a.path)], ctx.signal);
      // An adopted (legacy) folder records no counts: wait for the shards to settle, compare nothing.
      const known = countsKnown(a);
      const counts = known ? await settledCounts(countedUntil, a.counts) : await settledUnknownCounts(() => measureCounts(http, db), Math.min(SETTLE_MS, config.storeTimeoutMs));
      const diff = known ? differences(a.counts, counts) : [];
      if (diff.length > 0) {
        throw new StoreError('influxdb', `restored data does not match the backup:\n- ${diff.slice(0, 10).join('\n- ')}`);
      }
      ctx.progress({ store: 'influxdb', message: known ? `restored ${db}: counts match the backup` : `restored ${db}: counts not recorded (legacy set)` });
      return counts;
    },

    adopt: (label, ctx) => adoptInfluxDir(db, label, ctx),

    async close() {
      /* nothing is kept open: each HTTP call and each command is its own */
    },
  };
  return adapter;
}

