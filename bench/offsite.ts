/**
 * Offsite upload throughput against OpenSSH's own `scp`, same files, same local sshd, one run.
 * Ours = copySetOffsite end to end (upload on several connections, sha256 computed on the
 * server and compared, rename), with and without encryption; also the bare SFTP upload. The
 * "limit" rows measure, in the same rounds, what bounds a verified copy on this machine: the
 * server's hash of the same files alone, the SSH transport alone, the bot-side encryption alone.
 * Usage: npx tsx bench/offsite.ts [MiB per file, default 64] [files, default 4] [runs, default 5]
 * The process runs as the bot does (bin/node-flags.js); CRVS_NODE_FLAGS=none runs it without.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { servicesEnv, status, up } from '../scripts/services/harness.ts';
import { sshdPaths } from '../scripts/services/sshd.ts';
import { loadConfig } from '../src/config.ts';
import { ChunkEncryptor } from '../src/crypto/chunked.ts';
import { OffsiteKey } from '../src/crypto/key.ts';
import { copySetOffsite } from '../src/offsite/copy.ts';
import { shq } from '../src/offsite/paths.ts';
import { LANES } from '../src/offsite/put.ts';
import { openSession } from '../src/offsite/session.ts';
import { uploadFile } from '../src/offsite/transfer.ts';
import type { SetManifest } from '../src/offsite/set-manifest.ts';
import { makeFile, median } from './files.ts';
import { NODE_FLAGS, withNodeFlags } from '../bin/node-flags.js';

/** CPU seconds used so far by this process (all threads) and by its children waited for. */
function ownCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6 + childCpu('self');
}

/** CPU seconds of the children a process has waited for (cutime + cstime), from /proc. */
function childCpu(pid: number | 'self'): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  // Fields 16 and 17 of proc(5), counted here from the state field (3).
  return ((f[13] ?? 0) + (f[14] ?? 0)) / 100;
}

interface Timed {
  seconds: number;
  /** CPU seconds on both ends: this process, its child processes, and sshd's finished sessions. */
  cpu: number;
}

/** Wall time of `fn`; CPU of both ends once sshd has reaped the sessions `fn` opened. */
async function time(fn: () => Promise<void> | void, sshdPid: number): Promise<Timed> {
  const cpu0 = ownCpu() + childCpu(sshdPid);
  const t = process.hrtime.bigint();
  await fn();
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  await sleep(300);
  return { seconds, cpu: ownCpu() + childCpu(sshdPid) - cpu0 };
}

/** The bot's side of an encrypted copy without the network: read, sha256, AES-256-GCM, sha256. */
async function encryptAlone(key: OffsiteKey, file: string): Promise<void> {
  const plain = createHash('sha256');
  const cipher = createHash('sha256');
  const enc = new ChunkEncryptor(key);
  for await (const c of createReadStream(file, { highWaterMark: 256 * 1024 })) {
    plain.update(c as Buffer);
    for (const b of enc.push(c as Buffer)) cipher.update(b);
  }
  for (const b of enc.finish()) cipher.update(b);
  plain.digest();
  cipher.digest();
}

export interface OffsiteBenchRow {
  method: string;
  /** median seconds over the rounds */
  seconds: number;
  mibPerS: number;
  /** median of the per-round ratios scp seconds / this method's seconds (> 1: faster than scp) */
  vsScp: number;
  /** median CPU seconds on both ends (this process and its children, sshd's sessions) */
  cpu: number;
  /** A limit of the machine measured for context, or a reference run (not a way of copying a set). */
  limit?: boolean;
  /** The reference run its ratio is paired with, when not `scp`. */
  reference?: string;
  /**
   * For the bot's verified copies: the same work done by the reference tools in one stream (the
   * machine's limit for a verified copy), and the median of the paired ratios limit / ours.
   */
  vsLimit?: { method: string; ratio: number };
}

export interface OffsiteBench {
  rows: OffsiteBenchRow[];
  /** 1-minute load average before and after the rounds. */
  load: [number, number];
  /** The V8 flags this process ran with (the bot's, unless CRVS_NODE_FLAGS=none). */
  nodeFlags: string[];
}

/** The same total as unequal files (1/16, 1/8, 1/4, 9/16 of it), the largest last in the set; and scp of those files. */
export const UNEQUAL = 'copySetOffsite, the same bytes in 4 unequal files, the largest last in the set';
const SCP_UNEQUAL = 'scp, the 4 unequal files';

/**
 * What a verified copy costs here when the reference tools do it, as one stream with every step
 * overlapped: the files through one SSH session into one file on the server, hashed by the server
 * as they arrive. Nothing is read back from disk: less work than the bot's copy, which hashes each
 * file from the server's disk. Encrypted: the same, after openssl's AES-256-CTR, with sha256 of
 * the plaintext and of the ciphertext on this side, like the bot's (those two hashes run in bash
 * process substitutions, which the pipeline does not wait for: they may end a few ms after it).
 */
export const VERIFIED_LIMIT = 'limit: a verified copy by the reference tools in one stream (cat into ssh, the server tees to disk and into openssl dgst -sha256)';
export const VERIFIED_LIMIT_AES = 'limit: the same, encrypted (openssl enc -aes-256-ctr, sha256 of the plaintext and of the ciphertext)';
const PAIRED_LIMIT: Record<string, string> = {
  copySetOffsite: VERIFIED_LIMIT,
  'copySetOffsite + AES-256-GCM': VERIFIED_LIMIT_AES,
  'copySetOffsite + AES-256-GCM, encrypted on the main thread': VERIFIED_LIMIT_AES,
};

const LIMITS = new Set([VERIFIED_LIMIT, VERIFIED_LIMIT_AES, 'limit: server sha256 alone (openssl, what the copy runs)', 'limit: server sha256sum alone (coreutils)', 'limit: SSH transport alone (ssh … cat >/dev/null)', 'limit: bot-side AES-256-GCM + 2 × sha256 alone']);

/** Uploads `count` files of `mib` MiB `runs` times with each method; scp first in each round. */
export async function benchOffsite(mib = 64, count = 4, runs = 5): Promise<OffsiteBench> {
  await up({ only: ['sshd'], log: () => undefined });
  const loadBefore = loadavg()[0] as number;
  const env = servicesEnv();
  const root = mkdtempSync(join(env['BACKUP_ROOT'] ?? '/tmp', 'bench-offsite-'));
  const remoteBase = join(env['BACKUP_SERVER_DIR'] ?? '', `bench-${Date.now()}`);
  const config = loadConfig({ ...env, BACKUP_ROOT: root, BACKUP_SERVER_DIR: remoteBase, LOG_LEVEL: 'silent' });
  const server = config.backupServer;
  if (!server) throw new Error('sshd variables missing');
  const paths = sshdPaths(dirname(server.keyFile));
  const sshOpts = ['-i', server.keyFile, '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${paths.knownHosts}`];

  const artifacts = [];
  for (let f = 0; f < count; f++) {
    const rel = `mongo/bench-${f}.gz`;
    artifacts.push({ store: 'mongo' as const, path: rel, kind: 'file' as const, bytes: mib * 1024 * 1024, sha256: await makeFile(join(root, rel), mib), counts: {}, durationMs: 0 });
  }
  const locals = artifacts.map((a) => join(root, a.path));
  const total = mib * count;
  // The same bytes as a set of unequal files, the largest last in the set's order (a real set's
  // MinIO archive can dwarf the rest): the copy sends the largest first, so that the hash left to
  // wait for at the end is the smallest file's.
  const unequal = [];
  for (const [f, part] of [1 / 16, 1 / 8, 1 / 4, 9 / 16].entries()) {
    const rel = `minio/unequal-${f}.tar.gz`;
    const size = Math.round(total * part);
    unequal.push({ store: 'minio' as const, path: rel, kind: 'file' as const, bytes: size * 1024 * 1024, sha256: await makeFile(join(root, rel), size), counts: {}, durationMs: 0 });
  }
  const unequalLocals = unequal.map((a) => join(root, a.path));
  const key = new OffsiteKey(randomBytes(32));

  const sshdPid = status().find((x) => x.name === 'sshd')?.pid;
  if (!sshdPid) throw new Error('sshd is not running');
  const results = new Map<string, Timed[]>();
  const timed = (fn: () => Promise<void> | void): Promise<Timed> => time(fn, sshdPid);
  const add = (name: string, t: Timed): void => void results.set(name, [...(results.get(name) ?? []), t]);
  for (let i = 0; i < runs; i++) {
    const scpDir = join(remoteBase, `scp-${i}`);
    mkdirSync(scpDir, { recursive: true });
    add('scp', await timed(() => void execFileSync('scp', ['-q', ...sshOpts, '-P', String(server.port), ...locals, `${server.username}@${server.host}:${scpDir}/`])));
    const served = locals.map((_, n) => join(scpDir, `bench-${n}.gz`));
    const scpUnequal = join(remoteBase, `scp-unequal-${i}`);
    mkdirSync(scpUnequal, { recursive: true });
    add(SCP_UNEQUAL, await timed(() => void execFileSync('scp', ['-q', ...sshOpts, '-P', String(server.port), ...unequalLocals, `${server.username}@${server.host}:${scpUnequal}/`])));
    add('limit: server sha256 alone (openssl, what the copy runs)', await timed(() => void execFileSync('openssl', ['dgst', '-sha256', '-r', ...served])));
    add('limit: server sha256sum alone (coreutils)', await timed(() => void execFileSync('sha256sum', served)));
    // scp's own cipher and sshd, without files written or SFTP: the transport's share of scp.
    const ssh = ['ssh', ...sshOpts, '-p', String(server.port), `${server.username}@${server.host}`, 'cat >/dev/null'].map(shq).join(' ');
    add('limit: SSH transport alone (ssh … cat >/dev/null)', await timed(() => void execFileSync('sh', ['-c', `cat -- ${locals.map(shq).join(' ')} | ${ssh}`])));
    const into = (name: string): string => ['ssh', ...sshOpts, '-p', String(server.port), `${server.username}@${server.host}`, `tee ${shq(join(scpDir, name))} | openssl dgst -sha256 -r`].map(shq).join(' ');
    const files = locals.map(shq).join(' ');
    add(VERIFIED_LIMIT, await timed(() => void execFileSync('bash', ['-o', 'pipefail', '-c', `cat -- ${files} | ${into('stream')} >/dev/null`])));
    // The key reaches openssl through its environment, never its arguments.
    add(VERIFIED_LIMIT_AES, await timed(() => void execFileSync('bash', ['-o', 'pipefail', '-c',
      `cat -- ${files} | tee >(openssl dgst -sha256 >/dev/null) | openssl enc -aes-256-ctr -pbkdf2 -iter 1 -pass env:BENCH_KEY | tee >(openssl dgst -sha256 >/dev/null) | ${into('stream.enc')} >/dev/null`,
    ], { env: { ...process.env, BENCH_KEY: randomBytes(32).toString('hex') } })));
    add('limit: bot-side AES-256-GCM + 2 × sha256 alone', await timed(async () => {
      for (const l of locals) await encryptAlone(key, l);
    }));

    const rawDir = join(remoteBase, `raw-${i}`);
    mkdirSync(rawDir, { recursive: true });
    add(`sftp upload only (${LANES} connection${LANES > 1 ? 's' : ''}, no verification)`, await timed(async () => {
      const s = await openSession(server, { timeoutMs: 10_000 });
      const lanes = await s.lanes(LANES);
      let next = 0;
      await Promise.all(lanes.map(async (lane) => {
        for (let n = next++; n < locals.length; n = next++) {
          await uploadFile(s, locals[n] as string, join(rawDir, `bench-${n}.gz`), undefined, { hash: false, lane });
        }
      }));
      s.close();
    }));
    const variants = [
      ['copySetOffsite', null, undefined, false],
      ['copySetOffsite, 3 connections', null, 3, false],
      ['copySetOffsite + AES-256-GCM', key, undefined, false],
      ['copySetOffsite + AES-256-GCM, encrypted on the main thread', key, undefined, true],
    ] as const;
    for (const [v, [name, k, lanes, inlineEncryption]] of variants.entries()) {
      const label = `b${i}-${v}`;
      const m: SetManifest = { label, artifacts };
      mkdirSync(join(root, 'manifests'), { recursive: true });
      writeFileSync(join(root, 'manifests', `${label}.json`), JSON.stringify(m));
      add(name, await timed(async () => void (await copySetOffsite({ config, manifest: m, localRoot: root, key: k, lanes, inlineEncryption }))));
    }
    const m: SetManifest = { label: `b${i}-unequal`, artifacts: unequal };
    writeFileSync(join(root, 'manifests', `${m.label}.json`), JSON.stringify(m));
    add(UNEQUAL, await timed(async () => void (await copySetOffsite({ config, manifest: m, localRoot: root, key: null }))));
    rmSync(remoteBase, { recursive: true, force: true });
  }
  // The machine is shared: each method's ratio is taken against the scp run of the same round,
  // and the median of those paired ratios is reported.
  rmSync(root, { recursive: true, force: true });
  const rows = [...results.entries()].map(([method, runs]) => {
    const reference = method === UNEQUAL ? SCP_UNEQUAL : 'scp';
    const scpTimes = (results.get(reference) ?? []).map((x) => x.seconds);
    const xs = runs.map((r) => r.seconds);
    const t = median(xs);
    const cpu = median(runs.map((r) => r.cpu));
    const limit = PAIRED_LIMIT[method];
    const limitTimes = limit ? (results.get(limit) ?? []).map((x) => x.seconds) : [];
    return {
      method, seconds: t, mibPerS: total / t, vsScp: median(xs.map((x, i) => (scpTimes[i] ?? x) / x)), cpu,
      ...(limit && limitTimes.length === xs.length ? { vsLimit: { method: limit, ratio: median(xs.map((x, i) => (limitTimes[i] as number) / x)) } } : {}),
      ...(reference !== 'scp' ? { reference } : {}), ...(LIMITS.has(method) || method === SCP_UNEQUAL ? { limit: true } : {}),
    };
  });
  return { rows, load: [loadBefore, loadavg()[0] as number], nodeFlags: process.execArgv.filter((a) => NODE_FLAGS.some((f) => f.split('=')[0] === a.split('=')[0])) };
}

export function offsiteTable(b: OffsiteBench): string {
  const lines = b.rows.map((r) => `| ${r.method} | ${r.seconds.toFixed(2)} | ${r.mibPerS.toFixed(0)} | ${r.vsScp.toFixed(2)} | ${r.vsLimit ? r.vsLimit.ratio.toFixed(2) : '—'} | ${r.cpu.toFixed(2)} |`);
  return `| method | seconds | MiB/s | throughput vs scp (paired) | vs the verified-copy limit (paired) | CPU s, both ends |\n| --- | ---: | ---: | ---: | ---: | ---: |\n${lines.join('\n')}\n\nLoad average (1 min) ${b.load[0].toFixed(1)} before, ${b.load[1].toFixed(1)} after; ${cpus().length} cores; node flags: ${b.nodeFlags.join(' ') || 'none'}.\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // Run by hand, it restarts itself as the bot starts (bin/node-flags.js); CRVS_NODE_FLAGS=none does not.
  withNodeFlags();
  const args = process.argv.slice(2).filter((a) => a !== '--json');
  const [mib, count, runs] = [Number(args[0] ?? 64), Number(args[1] ?? 4), Number(args[2] ?? 5)];
  const b = await benchOffsite(mib, count, runs);
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(b)}\n`);
    process.exit(0);
  }
  console.log(`\nOffsite upload, ${count} files × ${mib} MiB, loopback sshd (${runs} rounds, medians)\n`);
  process.stdout.write(offsiteTable(b));
  process.exit(0);
}
