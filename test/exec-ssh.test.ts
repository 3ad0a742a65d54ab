/** The exec layer over SSH against the harness sshd: pinned host key, secrets off argv, limits. */
import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ExecError, TimeoutError } from '../src/errors.ts';
import { createExecutor, HostKeyError, targetFromSetting, type ExecTarget } from '../src/exec/index.ts';
import { testConfig } from './helpers/env.ts';

function managerTarget(): Extract<ExecTarget, { kind: 'ssh' }> {
  const config = testConfig();
  const target = targetFromSetting('ssh', config.manager, 'INFLUX_EXEC');
  if (target.kind !== 'ssh') throw new Error('the harness sshd is not configured (MANAGER_HOST)');
  return target;
}

function processList(): string {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
}

describe('ssh executor', () => {
  it('runs a command with its arguments intact, stdin and env delivered', async () => {
    const ssh = createExecutor(managerTarget());
    const res = await ssh.run(['sh', '-c', 'printf "%s|" "$1" "$CRVS_SECRET"; cat', 'sh', "it's a $HOME `x`"], {
      timeoutMs: 20_000,
      env: { CRVS_SECRET: "p@ss w'rd $x" },
      stdin: Readable.from(['payload ', 'line\n']),
    });
    expect(res.stdout).toBe("it's a $HOME `x`|p@ss w'rd $x|payload line\n");
    expect(res.code).toBe(0);
  });

  it('never shows a secret in ps while the remote command runs', async () => {
    const ssh = createExecutor(managerTarget());
    const secret = `ssh-s3cret-${Math.random().toString(36).slice(2)}`;
    const running = ssh.run(['sh', '-c', 'sleep 2; printf %s "$CRVS_SECRET"'], { timeoutMs: 20_000, env: { CRVS_SECRET: secret } });
    let finished = false;
    void running.finally(() => {
      finished = true;
    }).catch(() => undefined);
    const lists: string[] = [];
    while (!finished) {
      lists.push(processList());
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await running).stdout).toBe(secret);
    // The harness sshd runs on this machine, so this process list includes the remote side.
    expect(lists.some((l) => l.includes('sleep 2'))).toBe(true);
    for (const l of lists) expect(l).not.toContain(secret);
  });

  it('refuses a server whose host key is not the pinned one', async () => {
    const target = managerTarget();
    const wrong = createExecutor({ ...target, hostKey: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    const err = await wrong.run(['true'], { timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostKeyError);
    expect((err as Error).message).toMatch(/does not match the pinned key/);
    expect((err as Error).message).toContain(target.hostKey ?? 'missing');

    const unpinned = createExecutor({ ...target, hostKey: undefined });
    const err2 = await unpinned.run(['true'], { timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(HostKeyError);
    expect((err2 as Error).message).toMatch(/no host key is pinned/);
  });

  it('refuses a secret it cannot pass safely, before connecting', async () => {
    const ssh = createExecutor(managerTarget());
    await expect(ssh.run(['true'], { timeoutMs: 5000, env: { KEY: 'line1\nline2' } })).rejects.toThrow(/spans lines/);
    await expect(ssh.run(['true'], { timeoutMs: 5000, env: { 'BAD NAME': 'x' } })).rejects.toThrow(/invalid variable name/);
  });

  it('reports a failing remote command with its exit code and stderr', async () => {
    const ssh = createExecutor(managerTarget());
    const err = await ssh.run(['sh', '-c', 'echo "no such database" >&2; exit 4'], { timeoutMs: 20_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecError);
    expect((err as ExecError).exitCode2).toBe(4);
    expect((err as Error).message).toContain('no such database');
  });

  it('kills a remote command that outlives its timeout', async () => {
    const ssh = createExecutor(managerTarget());
    const started = Date.now();
    const err = await ssh.run(['sleep', '33.3'], { timeoutMs: 1500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(Date.now() - started).toBeLessThan(6000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(processList()).not.toContain('sleep 33.3');
  });
});
