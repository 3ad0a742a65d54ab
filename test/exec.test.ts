/** The exec layer, local and docker targets: results, limits, errors and secrecy. */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ExecError, TimeoutError } from '../src/errors.ts';
import { createExecutor, dockerArgs, quoteArgv, targetFromSetting } from '../src/exec/index.ts';

const local = createExecutor({ kind: 'local' });

function processList(): string {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
}

/** Polls the process list while `running` is pending; returns every list seen. */
async function watchPs(running: Promise<unknown>, everyMs = 100): Promise<string[]> {
  const seen: string[] = [];
  let done = false;
  void running.finally(() => {
    done = true;
  }).catch(() => undefined);
  while (!done) {
    seen.push(processList());
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return seen;
}

describe('local executor', () => {
  it('returns stdout, stderr and the exit code', async () => {
    const res = await local.run(['sh', '-c', 'echo out; echo err >&2'], { timeoutMs: 5000 });
    expect(res).toEqual({ stdout: 'out\n', stderr: 'err\n', code: 0 });
  });

  it('kills a command that outlives its timeout and says so', async () => {
    const started = Date.now();
    const err = await local.run(['sh', '-c', 'sleep 31.4159'], { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toMatch(/did not finish within/);
    expect(Date.now() - started).toBeLessThan(4000);
    // The whole process group is gone, the shell's child included.
    expect(processList()).not.toContain('sleep 31.4159');
  });

  it('turns a non-zero exit into an ExecError with the command, the code and the stderr tail', async () => {
    const err = await local.run(['sh', '-c', 'echo "disk is full" >&2; exit 3'], { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecError);
    const e = err as ExecError;
    expect(e.exitCode2).toBe(3);
    expect(e.message).toContain('disk is full');
    expect(e.message).toContain('exited with 3');
    expect(e.command).toContain('sh -c');
  });

  it('reports a missing program as an ExecError', async () => {
    const err = await local.run(['/nonexistent/influxd', 'backup'], { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecError);
    expect((err as Error).message).toMatch(/could not start/);
  });

  it('passes secrets in the environment only: never visible in ps while the command runs', async () => {
    const secret = `s3cret-${Math.random().toString(36).slice(2)}`;
    const running = local.run(['sh', '-c', 'sleep 2; test "$CRVS_SECRET" = "$1"', 'sh', 'placeholder'], {
      timeoutMs: 10_000,
      env: { CRVS_SECRET: secret },
    });
    const lists = await watchPs(running);
    // The command saw a value (the test compares it with a placeholder, so it fails: exit 1 proves it ran with env).
    await expect(running).rejects.toBeInstanceOf(ExecError);
    expect(lists.length).toBeGreaterThan(5);
    expect(lists.some((l) => l.includes('sleep 2'))).toBe(true);
    for (const l of lists) expect(l).not.toContain(secret);
    const seen = await local.run(['sh', '-c', 'printf %s "$CRVS_SECRET"'], { timeoutMs: 5000, env: { CRVS_SECRET: secret } });
    expect(seen.stdout).toBe(secret);
  });

  it('does not hand the bot\'s own environment to commands', async () => {
    process.env['CRVS_TEST_BOT_TOKEN'] = 'xoxb-should-not-leak';
    try {
      const res = await local.run(['sh', '-c', 'printf %s "${CRVS_TEST_BOT_TOKEN:-absent}"'], { timeoutMs: 5000 });
      expect(res.stdout).toBe('absent');
    } finally {
      delete process.env['CRVS_TEST_BOT_TOKEN'];
    }
  });

  it('streams stdin in and stdout out', async () => {
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c));
    const res = await local.run(['tr', 'a-z', 'A-Z'], { timeoutMs: 5000, stdin: Readable.from(['hello ', 'world\n']), stdout: sink });
    expect(res.stdout).toBe('');
    expect(Buffer.concat(chunks).toString()).toBe('HELLO WORLD\n');
  });

  it('stops when the caller aborts', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const err = await local.run(['sleep', '27.18'], { timeoutMs: 10_000, signal: ac.signal }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/cancelled/);
    expect(processList()).not.toContain('sleep 27.18');
  });
});

describe('quoting for a remote shell', () => {
  it('gives back every word unchanged', async () => {
    const words = ['plain', 'with space', "it's", '$HOME', '`id`', 'a"b', '', '*', 'new\nline', '-e', 'back\\slash'];
    const res = await local.run(['sh', '-c', `printf '%s\\0' ${quoteArgv(words)}`], { timeoutMs: 5000 });
    expect(res.stdout.split('\0').slice(0, -1)).toEqual(words);
  });
});

describe('docker target', () => {
  it('names variables with -e NAME and keeps their values off the command line', async () => {
    const args = dockerArgs('influxdb', ['influxd', 'backup'], { env: { INFLUX_PASSWORD: 'pw-123' } });
    // Through the pid-announcing wrapper (sh -c WRAPPER sh <exclusive tag> argv…).
    expect(args.slice(0, 6)).toEqual(['exec', '-e', 'INFLUX_PASSWORD', 'influxdb', 'sh', '-c']);
    expect(args.slice(7)).toEqual(['sh', '', 'influxd', 'backup']);
    expect(args.join(' ')).not.toContain('pw-123');

    // A stand-in docker client (docker is not installed here) records what it was given.
    const dir = mkdtempSync(join(tmpdir(), 'fake-docker-'));
    const shim = join(dir, 'docker');
    writeFileSync(shim, `#!/bin/sh\nprintf '%s\\n' "$*" > ${dir}/argv\nprintf '%s' "$INFLUX_PASSWORD" > ${dir}/env\n`);
    chmodSync(shim, 0o755);
    const path = process.env['PATH'];
    process.env['PATH'] = `${dir}:${path ?? ''}`;
    try {
      const docker = createExecutor(targetFromSetting('docker:influxdb', undefined, 'INFLUX_EXEC'));
      expect(docker.target).toBe('docker:influxdb');
      await docker.run(['influxd', 'backup', '-portable'], { timeoutMs: 5000, env: { INFLUX_PASSWORD: 'pw-123' } });
    } finally {
      process.env['PATH'] = path;
    }
    const argv = readFileSync(join(dir, 'argv'), 'utf8');
    expect(argv.startsWith('exec -e INFLUX_PASSWORD influxdb sh -c ')).toBe(true);
    expect(argv.endsWith(' influxd backup -portable\n')).toBe(true);
    expect(argv).not.toContain('pw-123');
    expect(readFileSync(join(dir, 'env'), 'utf8')).toBe('pw-123');
  });

  it('rejects settings it does not understand', () => {
    expect(() => targetFromSetting('ssh', undefined, 'INFLUX_EXEC')).toThrow(/MANAGER_HOST/);
    expect(() => targetFromSetting('docker:', undefined, 'INFLUX_EXEC')).toThrow(/container/);
    expect(() => targetFromSetting('kubectl', undefined, 'INFLUX_EXEC')).toThrow(/INFLUX_EXEC/);
  });
});
