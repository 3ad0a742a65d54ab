/**
 * `crvs-backup config check`: the config is valid (else start-up would have failed), a redacted
 * summary, and one line per service: reachable + version, or why not. Every probe is bounded.
 */
import { stat } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { redactedEnv, type Config, type SshTarget } from '../../config.ts';
import { withTimeout } from '../../backup/deps.ts';
import { userMessage } from '../../errors.ts';
import { createExecutor } from '../../exec/index.ts';
import type { Runtime } from '../../runtime.ts';
import { allowOnly, type Args } from '../args.ts';

interface Probe {
  name: string;
  run(): Promise<string>;
}

async function redisVersion(url: string, timeoutMs: number): Promise<string> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const info = await redis.info('server');
    return `Redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown'}`;
  } finally {
    redis.disconnect();
  }
}

async function sshProbe(target: SshTarget, timeoutMs: number): Promise<string> {
  const exec = createExecutor({ kind: 'ssh', ...target });
  const r = await exec.run(['uname', '-sr'], { timeoutMs });
  return `SSH ok (${target.username}@${target.host}:${target.port}), ${r.stdout.trim()}`;
}

function probes(rt: Runtime): Probe[] {
  const { config } = rt;
  const t = config.connectTimeoutMs;
  const list: Probe[] = [{ name: 'redis', run: () => redisVersion(config.redisUrl, t) }];
  for (const [name, adapter] of rt.deps.adapters) list.push({ name, run: () => adapter.version() });
  const backupServer = config.backupServer;
  if (backupServer) list.push({ name: 'backup server', run: () => sshProbe(backupServer, t * 2) });
  const manager = config.manager;
  if (manager) list.push({ name: 'manager node', run: () => sshProbe(manager, t * 2) });
  return list;
}

/** Secret files group or others can read: each is a warning line (not a failure: Docker secrets are often 0444). */
async function openSecretFiles(config: Config): Promise<string[]> {
  const files: Array<[string, string | undefined]> = [
    ['OFFSITE_ENCRYPTION_KEY_FILE', config.encryptionKeyFile],
    ['BACKUP_SERVER_KEY_FILE', config.backupServer?.keyFile],
    ['MANAGER_KEY_FILE', config.manager?.keyFile],
  ];
  const out: string[] = [];
  for (const [name, file] of files) {
    if (!file) continue;
    const mode = await stat(file).then((s) => s.mode & 0o777, () => undefined);
    if (mode !== undefined && (mode & 0o077) !== 0) {
      out.push(`! ${name} (${file}) is readable by group or others (mode ${mode.toString(8).padStart(4, '0')}): chmod 600 it`);
    }
  }
  return out;
}

function summary(config: Config): string {
  return Object.entries(redactedEnv(config.env))
    .map(([k, v]) => `  ${k}=${v}`)
    .join('\n');
}

/** Which OpenCRVS version the bot works for, how that was decided, and what it therefore backs up. */
export function profileLine(config: Config): string {
  const { profile, source, reason } = config.profile;
  return `OpenCRVS ${profile.version} (${source}: ${reason})\n  stores: ${config.stores.join(', ')}\n  MongoDB databases: ${config.mongo.databases.join(', ')}${config.stores.includes('postgres') ? `\n  PostgreSQL databases: ${config.postgres.databases.join(', ')} (a restore brings back ${config.postgres.restoreSchemas.includes('*') ? 'every schema' : `schema ${config.postgres.restoreSchemas.join(', ')}`})` : ''}`;
}

export async function configCheckCommand(rt: Runtime, args: Args): Promise<number> {
  allowOnly(args, ['quiet'], 'crvs-backup config check [--quiet]');
  if (!args.flags.has('quiet')) process.stdout.write(`Configuration is valid:\n${summary(rt.config)}\n\n${profileLine(rt.config)}\n\nServices:\n`);
  let failures = 0;
  const results = await Promise.all(
    probes(rt).map(async (p) => {
      try {
        const v = await withTimeout(p.name, rt.config.connectTimeoutMs * 3, undefined, () => p.run(), { graceMs: 0 });
        return `✓ ${p.name.padEnd(14)} reachable: ${v}`;
      } catch (err) {
        failures++;
        return `✗ ${p.name.padEnd(14)} NOT reachable: ${userMessage(err)}`;
      }
    }),
  );
  if (!rt.config.backupServer) results.push('- backup server  not configured (BACKUP_SERVER_HOST): no offsite copies');
  if (!rt.config.manager) results.push('- manager node   not configured (MANAGER_HOST): no redeploy after a restore');
  results.push(...(await openSecretFiles(rt.config)));
  process.stdout.write(`${results.join('\n')}\n`);
  return failures > 0 ? 1 : 0;
}
