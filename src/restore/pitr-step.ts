/**
 * The restore of PostgreSQL to a moment (point-in-time recovery), the restore job's own step.
 * Phases, each checkpointed in Redis (`crvs:pitr:<request>`) so that a restarted worker resumes:
 *   verify   the base backup's sha256, every WAL file from its start (sealed sha256, no gap), then
 *            on the server's host: unpack it beside the data folder, pg_verifybackup, the WAL copied
 *            beside it and checked again, recovery settings written — nothing of the server touched
 *   stop     PITR_STOP_COMMAND (skipped when the server is already down)
 *   aside    the data folder renamed to `<dir>.before-pitr-<id>` (kept)
 *   swap     the prepared folder renamed into place
 *   replay   PITR_START_COMMAND, then a bounded wait (PITR_REPLAY_TIMEOUT_MINUTES) until the server
 *            has replayed to the moment and promoted; writes checked; recovery settings removed
 * Every phase that changes something starts only while the operations lock is ours (src/pitr/fence.ts).
 * Files on the server's host are handled through the exec layer (POSTGRES_EXEC); the backup root
 * must be reachable there at the same path (it is, when the bot runs beside the server).
 */
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Redis } from 'ioredis';
import { sha256File } from '../backup/checksum.ts';
import type { Config } from '../config.ts';
import { BotError, ConfigError, TimeoutError, VerificationError, userMessage } from '../errors.ts';
import { createExecutor, targetFromSetting, type Executor } from '../exec/index.ts';
import type { HeldLock } from '../lock.ts';
import type { Logger } from '../log.ts';
import { assertLockHeld } from '../pitr/fence.ts';
import { planPitr, type PitrPlan } from '../pitr/range.ts';
import { withServer } from '../pitr/server.ts';
import { collectWal, type WalFile } from '../pitr/wal-files.ts';
import { startNewStream } from '../pitr/wal.ts';

export type PitrPhase = 'verify' | 'stop' | 'aside' | 'swap' | 'replay';
export const PITR_PHASES: readonly PitrPhase[] = ['verify', 'stop', 'aside', 'swap', 'replay'];

export interface PitrStepDeps {
  config: Config;
  logger: Logger;
  redis: Redis;
  /** The operations lock the restore holds. */
  lock: HeldLock;
  /** Runs commands on the server's host; default: POSTGRES_EXEC. */
  executor?: Executor;
  progress?: (message: string) => void;
  /** Poll pause of the waits (default 2 s). */
  pollMs?: number;
  signal?: AbortSignal;
  /** Shows a moment to a user (deployment time zone); default ISO. */
  show?: (d: Date) => string;
}

export interface PitrStepResult {
  plan: PitrPlan;
  /** The data folder as it was before, kept. */
  asideDir: string;
  walFiles: number;
}

const TTL_SECONDS = 30 * 24 * 3600;
/** A server that has not answered this long after its start (or its last answer) is started again. */
const START_RETRY_MS = 30_000;

function key(requestId: string): string {
  return `crvs:pitr:${requestId}`;
}

function shortId(requestId: string): string {
  return requestId.replace(/[^A-Za-z0-9]/g, '').slice(-12) || 'x';
}

export function pitrDirs(dataDir: string, requestId: string): { staging: string; wal: string; aside: string } {
  const id = shortId(requestId);
  return { staging: `${dataDir}.pitr-${id}`, wal: `${dataDir}.pitr-${id}-wal`, aside: `${dataDir}.before-pitr-${id}` };
}

/** The phases' states of a request (for resumes and for the thread). */
export async function pitrPhases(redis: Redis, requestId: string): Promise<Map<PitrPhase, 'started' | 'done'>> {
  const all = await redis.hgetall(key(requestId));
  const out = new Map<PitrPhase, 'started' | 'done'>();
  for (const p of PITR_PHASES) {
    const v = all[`phase:${p}`];
    if (v === 'started' || v === 'done') out.set(p, v);
  }
  return out;
}

/** A timestamp PostgreSQL reads unambiguously. */
function pgTime(d: Date): string {
  return `${d.toISOString().replace('T', ' ').replace('Z', '')}+00`;
}

function recoverySettings(plan: PitrPlan, walDir: string, requestId: string): string {
  return [
    '',
    `# crvs-backup-bot: restore to a moment (request ${requestId}); removed after the promotion`,
    `restore_command = 'cp "${walDir}/%f" "%p"'`,
    `recovery_target_time = '${pgTime(new Date(plan.target))}'`,
    "recovery_target_action = 'promote'",
    "recovery_target_timeline = 'current'",
    '',
  ].join('\n');
}

/** Runs (or resumes) the restore of PostgreSQL to `target`. */
export async function runPitrStep(deps: PitrStepDeps, requestId: string, target: Date): Promise<PitrStepResult> {
  const { config, redis, logger } = deps;
  const configured = config.pitr.server;
  if (!configured) throw new ConfigError('PITR_DATA_DIR', 'PITR_STOP_COMMAND and PITR_START_COMMAND must be set to restore PostgreSQL to a moment');
  const server = configured;
  if (/['"\\\s]/.test(server.dataDir)) throw new ConfigError('PITR_DATA_DIR', 'must not contain quotes, backslashes or spaces');
  const exec = deps.executor ?? createExecutor(targetFromSetting(config.postgres.exec, config.manager, 'POSTGRES_EXEC'));
  const k = key(requestId);
  const pollMs = deps.pollMs ?? 2000;
  const say = (m: string): void => {
    logger.info({ requestId, message: m }, 'pitr restore');
    deps.progress?.(m);
  };
  const dirs = pitrDirs(server.dataDir, requestId);
  const bin = (name: string): string => (config.postgres.binDir ? join(config.postgres.binDir, name) : name);
  const host = (argv: string[], timeoutMs = config.storeTimeoutMs, stdin?: Readable): Promise<unknown> => exec.run(argv, { timeoutMs, signal: deps.signal, ...(stdin ? { stdin } : {}) });
  const exists = async (path: string): Promise<boolean> => {
    try {
      await exec.run(['test', '-e', path], { timeoutMs: 60_000, signal: deps.signal });
      return true;
    } catch (err) {
      if (err instanceof BotError && err.code === 'exec_failed') return false;
      throw err;
    }
  };
  const state = async (p: PitrPhase): Promise<string | null> => redis.hget(k, `phase:${p}`);
  const mark = async (p: PitrPhase, s: 'started' | 'done'): Promise<void> => {
    await redis.multi().hset(k, `phase:${p}`, s).expire(k, TTL_SECONDS).exec();
  };
  const fence = (what: string): Promise<void> => assertLockHeld(redis, deps.lock, what);

  // The plan is fixed at the first run: a resumed job uses the same base backup and WAL.
  let plan: PitrPlan;
  const stored = await redis.hget(k, 'plan');
  if (stored) plan = JSON.parse(stored) as PitrPlan;
  else {
    plan = await planPitr(config.backupRoot, target, deps.show);
    await redis.multi().hset(k, 'plan', JSON.stringify(plan)).expire(k, TTL_SECONDS).exec();
  }
  let wal: WalFile[] = [];
  try {
    wal = await prepare();
    await fence('stopping PostgreSQL');
  } catch (err) {
    // Refused before the server was touched: nothing is left beside the data folder either.
    if ((await state('stop')) === null) {
      await exec.run(['rm', '-rf', '--', dirs.staging, dirs.wal], { timeoutMs: 10 * 60_000 }).catch(() => undefined);
      await redis.hdel(k, 'phase:verify');
    }
    throw err;
  }

  async function prepare(): Promise<WalFile[]> {
    if ((await state('verify')) === 'done') return [];
    await mark('verify', 'started');
    say(`checking the base backup ${plan.base.path} (set ${plan.base.label})`);
    const base = await sha256File(join(config.backupRoot, plan.base.path)).catch(() => undefined);
    if (!base) throw new VerificationError(plan.base.label, [`${plan.base.path} is missing`]);
    if (base.sha256 !== plan.base.sha256) throw new VerificationError(plan.base.label, [`${plan.base.path}: sha256 differs from the manifest (the file is damaged)`]);
    const wal = await collectWal(config.backupRoot, plan);
    say(`WAL ${wal[0]?.name ?? '?'} … ${wal.at(-1)?.name ?? '?'} (${wal.length} files) checked; preparing the new data folder beside the old one`);
    await host(['rm', '-rf', '--', dirs.staging, dirs.wal]);
    await host(['mkdir', '-p', dirs.staging, dirs.wal]);
    await host(['tar', '-xf', join(config.backupRoot, plan.base.path), '-C', dirs.staging]);
    await host([bin('pg_verifybackup'), '--quiet', dirs.staging]).catch((err: unknown) => {
      throw new VerificationError(plan.base.label, [`pg_verifybackup: ${userMessage(err)}`]);
    });
    for (const f of wal) await host(['cp', join(f.dir, f.file), join(dirs.wal, f.name)]);
    const names = wal.map((f) => f.name);
    const sums = names.length === 0 ? { stdout: '' } : await exec.run(['sh', '-c', 'cd "$1" && shift && sha256sum -- "$@"', 'sh', dirs.wal, ...names], { timeoutMs: config.storeTimeoutMs, signal: deps.signal });
    const got = new Map(sums.stdout.split('\n').filter(Boolean).map((l) => [l.slice(66).trim(), l.slice(0, 64)] as const));
    const bad = wal.filter((f) => got.get(f.name) !== f.sha256).map((f) => `${f.name}: the copy beside the data folder differs from the archive`);
    if (bad.length > 0) throw new VerificationError(plan.base.label, bad);
    await host(['sh', '-c', 'cat >> "$1"', 'sh', join(dirs.staging, 'postgresql.auto.conf')], 60_000, Readable.from([recoverySettings(plan, dirs.wal, requestId)]));
    await host(['touch', join(dirs.staging, 'recovery.signal')]);
    // The server's account must own its files: the same owner as the data folder it replaces.
    await host(['chown', '-R', `--reference=${server.dataDir}`, dirs.staging, dirs.wal]);
    await host(['chmod', '700', dirs.staging]);
    await mark('verify', 'done');
    return wal;
  }

  if ((await state('stop')) !== 'done') {
    await mark('stop', 'started');
    if (await exists(join(server.dataDir, 'postmaster.pid'))) {
      say('stopping PostgreSQL (PITR_STOP_COMMAND)');
      await host(['sh', '-c', server.stopCommand], 10 * 60_000);
    }
    const deadline = Date.now() + 120_000;
    while (await exists(join(server.dataDir, 'postmaster.pid'))) {
      if (Date.now() > deadline) throw new TimeoutError('PostgreSQL stopping (its postmaster.pid is still there)', 120_000);
      await new Promise((r) => setTimeout(r, pollMs));
    }
    await mark('stop', 'done');
  }

  if ((await state('aside')) !== 'done') {
    await fence('moving the data folder aside');
    await mark('aside', 'started');
    if (!(await exists(dirs.aside))) {
      say(`moving the data folder aside: ${dirs.aside} (kept)`);
      await host(['mv', '--', server.dataDir, dirs.aside]);
    }
    await mark('aside', 'done');
  }

  if ((await state('swap')) !== 'done') {
    await fence('putting the restored data folder in place');
    await mark('swap', 'started');
    if (await exists(dirs.staging)) {
      if (await exists(server.dataDir)) throw new BotError('pitr_unexpected', `${server.dataDir} exists again although it was moved aside: stopped without touching it`);
      await host(['mv', '--', dirs.staging, server.dataDir]);
      // The restored server starts a new timeline: the archiver must not add it to the old stream.
      const stream = await startNewStream(config.backupRoot);
      say(`the WAL archive continues in a new stream (${stream}): the restored server starts a new timeline`);
    } else if (!(await exists(server.dataDir))) {
      throw new BotError('pitr_unexpected', `neither the prepared folder ${dirs.staging} nor ${server.dataDir} exists: the old data is in ${dirs.aside}`);
    }
    await mark('swap', 'done');
  }

  if ((await state('replay')) !== 'done') {
    await fence('starting PostgreSQL');
    await mark('replay', 'started');
    await replay(deps, exec, server.startCommand, plan, pollMs, say);
    await host(['rm', '-rf', '--', dirs.wal]);
    await mark('replay', 'done');
  }
  return { plan, asideDir: dirs.aside, walFiles: wal.length };
}

async function answers(config: Config): Promise<boolean | undefined> {
  try {
    return await withServer(config, async (c) => (await c.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]?.r === true);
  } catch {
    return undefined;
  }
}

/** Starts the server (unless it answers) and waits, bounded, until it has promoted and takes writes. */
async function replay(deps: PitrStepDeps, exec: Executor, startCommand: string, plan: PitrPlan, pollMs: number, say: (m: string) => void): Promise<void> {
  const { config } = deps;
  const limit = config.pitr.replayTimeoutMs;
  const deadline = Date.now() + limit;
  let lastStart = 0;
  let lastAnswer = Date.now();
  const start = async (): Promise<void> => {
    lastStart = Date.now();
    await exec.run(['sh', '-c', startCommand], { timeoutMs: 10 * 60_000, signal: deps.signal }).catch((err: unknown) => {
      // A start command that gives up may still have started the server (the wait decides); one that
      // failed (a killed server's processes still leaving) is run again below.
      deps.logger.warn({ err: userMessage(err) }, 'pitr start command failed');
    });
  };
  if ((await answers(config)) === undefined) {
    say(`starting PostgreSQL (PITR_START_COMMAND): it replays WAL up to ${plan.target}`);
    await start();
  }
  for (;;) {
    if (deps.signal?.aborted) throw new BotError('aborted', 'the replay wait was cancelled');
    const inRecovery = await answers(config);
    if (inRecovery === false) break;
    if (inRecovery === true) lastAnswer = Date.now();
    else if (Date.now() - Math.max(lastStart, lastAnswer) > START_RETRY_MS) {
      say('PostgreSQL does not answer: running PITR_START_COMMAND again');
      await start();
    }
    if (Date.now() > deadline) throw new TimeoutError(`PostgreSQL replaying WAL to ${plan.target} (see the server's log)`, limit);
    await new Promise((r) => setTimeout(r, pollMs));
  }
  await withServer(config, async (c) => {
    await c.query('SELECT pg_current_xact_id()');
    for (const name of ['restore_command', 'recovery_target_time', 'recovery_target_action', 'recovery_target_timeline']) await c.query(`ALTER SYSTEM RESET ${name}`);
    await c.query('SELECT pg_reload_conf()');
  });
  say('PostgreSQL is back, out of recovery, and accepts writes');
}
