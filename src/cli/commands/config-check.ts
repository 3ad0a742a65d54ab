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
      out.push(`${name} (${file}) is readable by group or others (mode ${mode.toString(8).padStart(4, '0')}): chmod 600 it`);
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

/** The profile as `--json` shows it. */
function profileJson(config: Config): Record<string, unknown> {
  return { version: config.profile.profile.version, source: config.profile.source, reason: config.profile.reason, stores: config.stores, mongoDatabases: config.mongo.databases, postgresDatabases: config.stores.includes('postgres') ? config.postgres.databases : [] };
}

/** One service's answer: reachable with its version, or why not. */
export interface ServiceCheck {
  name: string;
  ok: boolean;
  version?: string;
  error?: string;
}

export interface ConfigCheckOptions {
  quiet?: boolean;
  json?: boolean;
}

const NOT_CONFIGURED = {
  backupServer: { name: 'backup server', variable: 'BACKUP_SERVER_HOST', consequence: 'no offsite copies' },
  manager: { name: 'manager node', variable: 'MANAGER_HOST', consequence: 'no redeploy after a restore' },
} as const;

async function checkServices(rt: Runtime): Promise<ServiceCheck[]> {
  return Promise.all(
    probes(rt).map(async (p): Promise<ServiceCheck> => {
      try {
        const version = await withTimeout(p.name, rt.config.connectTimeoutMs * 3, undefined, () => p.run(), { graceMs: 0 });
        return { name: p.name, ok: true, version };
      } catch (err) {
        return { name: p.name, ok: false, error: userMessage(err) };
      }
    }),
  );
}

export async function configCheckCommand(rt: Runtime, o: ConfigCheckOptions): Promise<number> {
  const { config } = rt;
  const services = await checkServices(rt);
  const notConfigured = (['backupServer', 'manager'] as const).filter((k) => !config[k]).map((k) => NOT_CONFIGURED[k]);
  const warnings = await openSecretFiles(config);
  const exitCode = services.some((s) => !s.ok) ? 1 : 0;
  if (o.json) {
    const report = { valid: true, config: o.quiet ? undefined : redactedEnv(config.env), opencrvs: profileJson(config), services, notConfigured, warnings };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return exitCode;
  }
  if (!o.quiet) process.stdout.write(`Configuration is valid:\n${summary(config)}\n\n${profileLine(config)}\n\nServices:\n`);
  const lines = services.map((s) => (s.ok ? `✓ ${s.name.padEnd(14)} reachable: ${s.version ?? ''}` : `✗ ${s.name.padEnd(14)} NOT reachable: ${s.error ?? ''}`));
  for (const n of notConfigured) lines.push(`- ${n.name.padEnd(14)} not configured (${n.variable}): ${n.consequence}`);
  lines.push(...warnings.map((w) => `! ${w}`));
  process.stdout.write(`${lines.join('\n')}\n`);
  return exitCode;
}
