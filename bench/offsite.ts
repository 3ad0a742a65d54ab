/**
 * Offsite upload throughput against OpenSSH's own `scp`, same files, same local sshd, one run.
 * Ours = copySetOffsite end to end (local sha256 check, upload, server-side sha256, rename), with
 * and without encryption; also the bare SFTP upload without verification.
 * Usage: npx tsx bench/offsite.ts [MiB per file, default 64] [files, default 4] [runs, default 5]
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { servicesEnv, up } from '../scripts/services/harness.ts';
import { sshdPaths } from '../scripts/services/sshd.ts';
import { loadConfig } from '../src/config.ts';
import { OffsiteKey } from '../src/crypto/key.ts';
import { copySetOffsite } from '../src/offsite/copy.ts';
import { openSession } from '../src/offsite/session.ts';
import { uploadStream } from '../src/offsite/transfer.ts';
import type { SetManifest } from '../src/offsite/set-manifest.ts';

async function makeFile(path: string, size: number): Promise<string> {
  mkdirSync(dirname(path), { recursive: true });
  const h = createHash('sha256');
  const out = createWriteStream(path);
  // Random data: a real dump is compressed, so it does not compress further either.
  for (let i = 0; i < size; i++) {
    const piece = randomBytes(1024 * 1024);
    h.update(piece);
    if (!out.write(piece)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return h.digest('hex');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function time(fn: () => Promise<void> | void): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

export interface OffsiteBenchRow {
  method: string;
  /** median seconds over the rounds */
  seconds: number;
  mibPerS: number;
  /** median of the per-round ratios scp seconds / this method's seconds (> 1: faster than scp) */
  vsScp: number;
}

/** Uploads `count` files of `mib` MiB `runs` times with each method; scp first in each round. */
export async function benchOffsite(mib = 64, count = 4, runs = 5): Promise<OffsiteBenchRow[]> {
  await up({ only: ['sshd'], log: () => undefined });
  const env = servicesEnv();
  const root = mkdtempSync(join(env['BACKUP_ROOT'] ?? '/tmp', 'bench-offsite-'));
  const remoteBase = join(env['BACKUP_SERVER_DIR'] ?? '', `bench-${Date.now()}`);
  const config = loadConfig({ ...env, BACKUP_ROOT: root, BACKUP_SERVER_DIR: remoteBase, LOG_LEVEL: 'silent' });
  const server = config.backupServer;
  if (!server) throw new Error('sshd variables missing');
  const paths = sshdPaths(dirname(server.keyFile));

  const bytes = mib * 1024 * 1024;
  const artifacts = [];
  for (let f = 0; f < count; f++) {
    const rel = `mongo/bench-${f}.gz`;
    artifacts.push({ store: 'mongo' as const, path: rel, kind: 'file' as const, bytes, sha256: await makeFile(join(root, rel), mib), counts: {}, durationMs: 0 });
  }
  const locals = artifacts.map((a) => join(root, a.path));
  const total = mib * count;
  const key = new OffsiteKey(randomBytes(32));

  const results: Record<string, number[]> = { scp: [], 'sftp upload only': [], 'copySetOffsite': [], 'copySetOffsite + AES-256-GCM': [] };
  for (let i = 0; i < runs; i++) {
    const scpDir = join(remoteBase, `scp-${i}`);
    mkdirSync(scpDir, { recursive: true });
    results['scp']?.push(
      await time(() => {
        execFileSync('scp', ['-q', '-i', server.keyFile, '-P', String(server.port), '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${paths.knownHosts}`,
          ...locals, `${server.username}@${server.host}:${scpDir}/`]);
      }),
    );
    const s = await openSession(server, { timeoutMs: 10_000 });
    mkdirSync(join(remoteBase, `raw-${i}`), { recursive: true });
    results['sftp upload only']?.push(
      await time(async () => {
        for (const [n, local] of locals.entries()) {
          await uploadStream(s, createReadStream(local, { highWaterMark: 256 * 1024 }), join(remoteBase, `raw-${i}`, `bench-${n}.gz`), undefined, { hash: false });
        }
      }),
    );
    s.close();
    for (const [name, k] of [['copySetOffsite', null], ['copySetOffsite + AES-256-GCM', key]] as const) {
      const label = `b${i}${k ? 'e' : 'p'}`;
      const m: SetManifest = { label, artifacts };
      mkdirSync(join(root, 'manifests'), { recursive: true });
      writeFileSync(join(root, 'manifests', `${label}.json`), JSON.stringify(m));
      results[name]?.push(await time(async () => void (await copySetOffsite({ config, manifest: m, localRoot: root, key: k }))));
    }
    rmSync(remoteBase, { recursive: true, force: true });
  }
  // The machine is shared: each method's ratio is taken against the scp run of the same round,
  // and the median of those paired ratios is reported.
  const scpTimes = results['scp'] ?? [];
  rmSync(root, { recursive: true, force: true });
  return Object.entries(results).map(([method, xs]) => {
    const t = median(xs);
    return { method, seconds: t, mibPerS: total / t, vsScp: median(xs.map((x, i) => (scpTimes[i] ?? x) / x)) };
  });
}

export function offsiteTable(rows: OffsiteBenchRow[]): string {
  const lines = rows.map((r) => `| ${r.method} | ${r.seconds.toFixed(2)} | ${r.mibPerS.toFixed(0)} | ${r.vsScp.toFixed(2)} |`);
  return `| method | seconds | MiB/s | throughput vs scp (paired) |\n| --- | ---: | ---: | ---: |\n${lines.join('\n')}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [mib, count, runs] = [Number(process.argv[2] ?? 64), Number(process.argv[3] ?? 4), Number(process.argv[4] ?? 5)];
  const rows = await benchOffsite(mib, count, runs);
  console.log(`\nOffsite upload, ${count} files × ${mib} MiB, loopback sshd (${runs} rounds, medians)\n`);
  process.stdout.write(offsiteTable(rows));
  process.exit(0);
}
