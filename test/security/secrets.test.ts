/**
 * Secrets never reach what people and other processes can see: the CLI's output, its logs (at
 * debug level), the files under BACKUP_ROOT and on the backup server, the history and queues in
 * Redis, the Slack report, and the argv of every process while a backup runs. Real services;
 * Slack is the fake. Success paths use the real MinIO key plus distinctive ES/Influx passwords,
 * Slack tokens and offsite key (those servers run without auth and accept any credentials);
 * failure paths use wrong secrets.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../../src/fake-slack/index.ts';
import { freePort } from '../../scripts/services/util.ts';
import { runCli, type CliResult } from '../helpers/cli.ts';
import { servicesEnv } from '../helpers/env.ts';
import { seedAll } from '../../scripts/seed/index.ts';
import { loadConfig } from '../../src/config.ts';

const CHANNEL = 'CSECRETS1';
const S = {
  esPassword: 'EsPw-q8Zr2LmXv41',
  influxPassword: 'InfluxPw-w7Tn4Kd55',
  botToken: 'xoxb-7001-7002-BotTokSecret9q',
  appToken: 'xapp-1-A7001-AppTokSecret8w',
  signingSecret: 'SigningSecret-5k3j2h1g',
  offsiteKey: 'OffsiteKey-9f8e7d6c5b4a3921',
  mongoPassword: 'MongoPw-S3cretZ77',
  redisPassword: 'RedisPw-4s4s4s4s',
  wrongMinio: 'WrongMinioKey-Zz9911aa',
  wrongPostgres: 'WrongPgPw-Hh8877qq',
};

let services: Record<string, string>;
let root: string;
let remoteDir: string;
let fake: FakeSlack;
let env: Record<string, string>;
let label = '';
const outputs: Array<{ what: string; r: CliResult }> = [];

/** Every secret of this run, the real MinIO key included. */
function secrets(): string[] {
  return [...Object.values(S), services['MINIO_SECRET_KEY'] ?? 'minioadmin', services['POSTGRES_PASSWORD'] ?? 'no-postgres-password'];
}

function leaks(text: string): string[] {
  return secrets().filter((s) => text.includes(s));
}

async function cli(what: string, args: string[], e: Record<string, string> = env): Promise<CliResult> {
  const r = await runCli(args, e);
  outputs.push({ what, r });
  expect(leaks(r.stdout), `${what}: stdout`).toEqual([]);
  expect(leaks(r.stderr), `${what}: stderr`).toEqual([]);
  // A user never sees a stack trace.
  expect(r.stderr, `${what}: stderr`).not.toMatch(/\n\s+at .+:\d+:\d+\)?/);
  return r;
}

/** Every file under `dir` except the store dumps themselves (manifests, audit, journals, records). */
function textFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      const st = statSync(full);
      if (st.isDirectory()) walk(full);
      else if (/\.(json|jsonl|txt|log)$/.test(name) || d.includes('.offsite')) out.push(full);
    }
  };
  walk(dir);
  return out;
}

/** The value of every key in Redis, whatever its type. */
async function redisDump(url: string): Promise<string> {
  const redis = new Redis(url, { maxRetriesPerRequest: 2 });
  const parts: string[] = [];
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'COUNT', '500');
      cursor = next;
      for (const key of keys) {
        const type = await redis.type(key);
        if (type === 'string') parts.push((await redis.get(key)) ?? '');
        else if (type === 'list') parts.push(...(await redis.lrange(key, 0, -1)));
        else if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
        else if (type === 'set') parts.push(...(await redis.smembers(key)));
        else if (type === 'zset') parts.push(...(await redis.zrange(key, '0', '-1')));
        else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
      }
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return parts.join('\n');
}

/** Runs the CLI while sampling every process's argv (and the environment of influxd children). */
async function cliWatchingProcesses(what: string, args: string[]): Promise<{ r: CliResult; samples: number; childEnvs: number }> {
  let done = false;
  let samples = 0;
  let childEnvs = 0;
  const seen = new Set<string>();
  const envLeaks: string[] = [];
  const poll = (async () => {
    while (!done) {
      for (const line of execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).split('\n')) {
        seen.add(line);
        const m = /^\s*(\d+)\s+(.*)$/.exec(line);
        // influxd runs with the environment the exec layer gives it: none of the bot's secrets.
        if (m?.[1] && /influxd (backup|restore)/.test(m[2] ?? '')) {
          try {
            const environ = readFileSync(`/proc/${m[1]}/environ`, 'utf8');
            childEnvs++;
            envLeaks.push(...leaks(environ));
          } catch {
            /* it exited meanwhile */
          }
        }
      }
      samples++;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    const r = await cli(what, args);
    return { r, samples, childEnvs };
  } finally {
    done = true;
    await poll;
    expect(leaks([...seen].join('\n')), `${what}: argv of a running process`).toEqual([]);
    expect(envLeaks, `${what}: environment of influxd`).toEqual([]);
  }
}

beforeAll(async () => {
  // A current deployment (v1.9): the PostgreSQL superuser's password is one more secret to keep.
  services = { ...servicesEnv(), OPENCRVS_VERSION: 'v1.9' };
  root = mkdtempSync(join(services['BACKUP_ROOT'] ?? '/tmp', 'secrets-'));
  remoteDir = mkdtempSync(join(services['BACKUP_ROOT'] ?? '/tmp', 'secrets-remote-'));
  // Its own data in every store, whatever ran before (a fresh CI run may start with this file).
  await seedAll(loadConfig({ ...services, LOG_LEVEL: 'silent' }), { scale: 1, seed: 17 });
  fake = await startFakeSlack({ botToken: S.botToken });
  // influxd runs for well under a second at this scale: a shim that waits a moment before handing
  // over to the real binary makes sure the process watcher sees it (argv and environment).
  const shimDir = mkdtempSync(join(root, 'influxd-shim-'));
  const shim = join(shimDir, 'influxd');
  writeFileSync(shim, `#!/bin/sh\nsleep 1\nexec ${services['INFLUXD_BIN'] ?? 'influxd'} "$@"\n`);
  chmodSync(shim, 0o755);
  env = {
    ...services,
    INFLUXD_BIN: shim,
    BACKUP_ROOT: root,
    BACKUP_SERVER_DIR: remoteDir,
    // A Redis database of its own: the operations lock and history are not shared with other tests.
    REDIS_URL: `${services['REDIS_URL'] ?? ''}/11`,
    LOG_LEVEL: 'debug',
    CONNECT_TIMEOUT_SECONDS: '3',
    ES_USERNAME: 'elastic',
    ES_PASSWORD: S.esPassword,
    INFLUX_USERNAME: 'admin',
    INFLUX_PASSWORD: S.influxPassword,
    SLACK_BOT_TOKEN: S.botToken,
    SLACK_APP_TOKEN: S.appToken,
    SLACK_SIGNING_SECRET: S.signingSecret,
    SLACK_API_URL: fake.apiUrl,
    SLACK_CHANNEL: CHANNEL,
    OFFSITE_ENCRYPTION_KEY: S.offsiteKey,
  };
});

afterAll(async () => {
  await fake?.close();
});

describe('secrets on the success paths', () => {
  it('config check: every service reachable, nothing secret printed', async () => {
    const r = await cli('config check', ['config', 'check']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ES_PASSWORD=[redacted]');
    expect(r.stdout).toContain('SLACK_BOT_TOKEN=[redacted]');
  });

  it('config check warns about a key file others can read, and never prints the key', async () => {
    const keyFile = join(mkdtempSync(join(root, '..', 'secrets-key-')), 'offsite.key');
    writeFileSync(keyFile, `${S.offsiteKey}\n`);
    chmodSync(keyFile, 0o644);
    const r = await cli('config check (open key file)', ['config', 'check', '--quiet'], { ...env, OFFSITE_ENCRYPTION_KEY: '', OFFSITE_ENCRYPTION_KEY_FILE: keyFile });
    expect(r.stdout).toMatch(/! OFFSITE_ENCRYPTION_KEY_FILE \(.*\) is readable by group or others \(mode 0644\): chmod 600 it/);
  });

  it('backup (all stores, offsite copy encrypted, Slack report): no secret in any argv while it runs', async () => {
    const { r, samples, childEnvs } = await cliWatchingProcesses('backup', ['backup']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    label = /Backup set (\S+) is complete/.exec(r.stdout)?.[1] ?? '';
    expect(label).not.toBe('');
    expect(r.stdout).toMatch(/offsite: ok/);
    expect(samples).toBeGreaterThan(3);
    expect(childEnvs).toBeGreaterThan(0);
    // The report reached the fake Slack with the right token, and says nothing secret.
    const report = fake.messages.filter((m) => m.channel === CHANNEL);
    expect(report.length).toBeGreaterThan(0);
    expect(leaks(JSON.stringify(fake.messages))).toEqual([]);
  });

  it('list, verify, history, audit and a restore print nothing secret', async () => {
    expect((await cli('list', ['list'])).stdout).toContain(label);
    expect((await cli('list --json', ['list', '--json'])).code).toBe(0);
    expect((await cli('verify', ['verify', label])).code).toBe(0);
    expect((await cli('history', ['history', '--json'])).code).toBe(0);
    const restore = await cliWatchingProcesses('restore', ['restore', label, '--yes', '--stores', 'influxdb,minio']);
    expect(restore.r.code, restore.r.stdout + restore.r.stderr).toBe(0);
    expect((await cli('audit', ['audit', '--json'])).stdout).toContain(`restore ${label}`);
  });

  it('nothing secret in the files written locally and on the backup server, nor in Redis', async () => {
    const files = [...textFiles(root), ...textFiles(remoteDir)];
    expect(files.some((f) => f.includes(`manifests/${label}.json`))).toBe(true);
    expect(files.some((f) => f.endsWith('audit.jsonl'))).toBe(true);
    expect(files.some((f) => f.includes('.offsite'))).toBe(true);
    expect(files.some((f) => f.endsWith('offsite.json'))).toBe(true);
    for (const f of files) expect(leaks(readFileSync(f, 'utf8')), f).toEqual([]);
    expect(leaks(await redisDump(env['REDIS_URL'] ?? ''))).toEqual([]);
  });
});

describe('secrets on the failure paths', () => {
  it('a wrong PostgreSQL password, in its variable or in POSTGRES_URL: the backup fails clearly, the password is nowhere', async () => {
    const url = services['POSTGRES_URL'] ?? '';
    for (const bad of [
      { ...env, POSTGRES_PASSWORD: S.wrongPostgres },
      { ...env, POSTGRES_PASSWORD: '', POSTGRES_URL: url.replace('postgres://postgres@', `postgres://postgres:${S.wrongPostgres}@`) },
    ]) {
      const check = await cli('config check (wrong postgres password)', ['config', 'check'], bad);
      expect(check.code).toBe(1);
      expect(check.stdout).toMatch(/✗ postgres\s+NOT reachable: postgres: .*password authentication failed/);
      const r = await cli('backup (wrong postgres password)', ['backup', '--stores', 'postgres'], bad);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/✗ postgres: /);
    }
  });

  it('a wrong MinIO secret key: the backup fails clearly, and the key is nowhere', async () => {
    const bad = { ...env, MINIO_SECRET_KEY: S.wrongMinio };
    const check = await cli('config check (wrong minio key)', ['config', 'check'], bad);
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/✗ minio\s+NOT reachable/);
    const before = fake.messages.length;
    const r = await cli('backup (wrong minio key)', ['backup', '--stores', 'minio'], bad);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✗ minio: /);
    expect(leaks(JSON.stringify(fake.messages.slice(before)))).toEqual([]);
    expect(leaks(await redisDump(env['REDIS_URL'] ?? ''))).toEqual([]);
  });

  it('a Mongo URL with a password, server down or refusing the login: the password is never shown', async () => {
    const closed = await freePort();
    for (const url of [
      `mongodb://crvs:${S.mongoPassword}@127.0.0.1:${closed}/?serverSelectionTimeoutMS=2000`,
      (services['MONGO_URL'] ?? '').replace('mongodb://', `mongodb://crvs:${S.mongoPassword}@`),
    ]) {
      const bad = { ...env, MONGO_URL: url };
      const check = await cli('config check (mongo with password)', ['config', 'check'], bad);
      expect(check.code).toBe(1);
      expect(check.stdout).toContain('MONGO_URL=mongodb://crvs:[redacted]@');
      expect(check.stdout).toMatch(/✗ mongo\s+NOT reachable: mongo: /);
      const r = await cli('backup (mongo with password)', ['backup', '--stores', 'mongo'], bad);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/✗ mongo: /);
    }
  });

  it('Elasticsearch down with a password set, and credentials put in ES_URL, are told without the password', async () => {
    const closed = await freePort();
    const down = await cli('backup (es down)', ['backup', '--stores', 'elasticsearch'], { ...env, ES_URL: `http://127.0.0.1:${closed}` });
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/✗ elasticsearch: .*cannot reach/);
    const inUrl = await cli('config check (es url credentials)', ['config', 'check'], { ...env, ES_URL: `http://elastic:${S.esPassword}@127.0.0.1:${closed}` });
    expect(inUrl.code).toBe(2);
    expect(inUrl.stderr).toContain('ES_URL must not hold credentials');
  });

  it('Redis with a password, unreachable: the error names it without the password', async () => {
    const closed = await freePort();
    const r = await cli('history (redis down)', ['history'], { ...env, REDIS_URL: `redis://:${S.redisPassword}@127.0.0.1:${closed}` });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('redis://:[redacted]@127.0.0.1');
  });

  it('no failure left a secret in the files under BACKUP_ROOT', () => {
    for (const f of textFiles(root)) expect(leaks(readFileSync(f, 'utf8')), f).toEqual([]);
    expect(outputs.length).toBeGreaterThan(10);
  });
});
