/**
 * Issue 11, defect 7: killing the local `docker exec` client does not stop the command inside the
 * container. The docker executor stops it there (TERM, bounded wait, KILL), reports it stopped only
 * once /proc/<pid> is gone, and refuses to start an exclusive command (a second `influxd restore`)
 * while an earlier one is still alive in the container. On the harness's real Docker engine, in a
 * private container of the busybox image it builds FROM scratch.
 */
import { randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BotError, TimeoutError } from '../../src/errors.ts';
import { createExecutor, ExclusiveBusyError, type Executor } from '../../src/exec/index.ts';
import { docker, engine } from '../helpers/swarm.ts';
import { BUSYBOX_IMAGE } from '../../scripts/services/docker-images.ts';
import { until } from '../pipeline/helpers.ts';

const container = `fio-exec-${randomBytes(3).toString('hex')}`;
const savedHost = process.env['DOCKER_HOST'];
let exec: Executor;

/** The command lines of the container's processes. */
async function commandLines(): Promise<string[]> {
  const out = await docker(['exec', container, 'sh', '-c', 'for p in /proc/[0-9]*; do tr "\\000" " " < $p/cmdline 2>/dev/null; echo; done']);
  return out.split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

async function running(marker: string): Promise<boolean> {
  return (await commandLines()).some((l) => l.includes(marker));
}

beforeAll(async () => {
  process.env['DOCKER_HOST'] = `unix://${engine().socket}`;
  await docker(['run', '-d', '--name', container, '--label', 'crvs-test=faultsio', BUSYBOX_IMAGE, 'sleep', '3600']);
  // The image holds only the busybox binary: give the container its applets (sh, kill, tr, grep…).
  const busybox = realpathSync('/bin/busybox');
  await docker(['exec', container, busybox, 'mkdir', '-p', '/bin']);
  await docker(['exec', container, busybox, '--install', '-s', '/bin']);
  exec = createExecutor({ kind: 'docker', container });
}, 120_000);

afterAll(async () => {
  await docker(['rm', '-f', container]).catch(() => undefined);
  if (savedHost === undefined) delete process.env['DOCKER_HOST'];
  else process.env['DOCKER_HOST'] = savedHost;
}, 60_000);

/** A number no other attempt of these tests uses (vitest may retry a test): markers and tags stay unique. */
function unique(): number {
  return 100_000 + randomBytes(3).readUIntBE(0, 3);
}

describe('docker exec: a stopped command is stopped inside the container', () => {
  it('on a timeout, the process inside the container is gone when run() reports it', async () => {
    const n = unique();
    const err = await exec.run(['sleep', String(n)], { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect(await running(`sleep ${n}`)).toBe(false);
  }, 120_000);

  it('on an abort, a process that ignores TERM is killed, and only then reported stopped', async () => {
    const ac = new AbortController();
    const marker = `fio-ignores-term-${unique()}`;
    const p = exec.run(['sh', '-c', `trap "" TERM; while :; do sleep 1; done # ${marker}`], { timeoutMs: 120_000, signal: ac.signal }).catch((e: unknown) => e);
    await until('the command to start in the container', 60_000, () => running(marker));
    ac.abort();
    const err = await p;
    expect(err).toBeInstanceOf(BotError);
    expect((err as BotError).code).toBe('aborted');
    expect(await running(marker)).toBe(false);
  }, 120_000);

  it('refuses a second exclusive command while the first is alive in the container, even one a dead bot left behind', async () => {
    const ac = new AbortController();
    const [n1, n2] = [unique(), unique() + 1];
    const tag = `fio-restore-${n1}`;
    const first = exec.run(['sleep', String(n1)], { timeoutMs: 120_000, signal: ac.signal, exclusive: tag }).catch((e: unknown) => e);
    await until('the first command to start', 60_000, () => running(`sleep ${n1}`));
    const second = await exec.run(['sh', '-c', 'echo second'], { timeoutMs: 30_000, exclusive: tag }).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(ExclusiveBusyError);
    expect((second as Error).message).toMatch(new RegExp(`An earlier ${tag} is still running inside container ${container} \\(pid \\d+\\); not starting another`));
    expect(await running(`sleep ${n1}`)).toBe(true);
    // Another tag is not held up.
    expect((await exec.run(['sh', '-c', 'echo other'], { timeoutMs: 30_000, exclusive: `${tag}-other` })).stdout).toBe('other\n');
    ac.abort();
    expect((await first) as BotError).toMatchObject({ code: 'aborted' });
    expect(await running(`sleep ${n1}`)).toBe(false);
    expect((await exec.run(['sh', '-c', 'echo second'], { timeoutMs: 30_000, exclusive: tag })).stdout).toBe('second\n');

    // A restore a dead bot left running (its docker client gone, the process not): still refused.
    await docker(['exec', '-d', container, 'env', `CRVS_EXCLUSIVE=${tag}`, 'sleep', String(n2)]);
    await until('the orphan to start', 60_000, () => running(`sleep ${n2}`));
    const refused = await exec.run(['sh', '-c', 'echo third'], { timeoutMs: 30_000, exclusive: tag }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ExclusiveBusyError);
  }, 180_000);

  it('passes output and exit codes through the wrapper unchanged', async () => {
    const r = await exec.run(['sh', '-c', 'echo out; echo err >&2'], { timeoutMs: 30_000 });
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toBe('err\n');
    const failed = await exec.run(['sh', '-c', 'echo boom >&2; exit 3'], { timeoutMs: 30_000 }).catch((e: unknown) => e);
    expect((failed as Error).message).toMatch(/exited with 3: boom/);
  }, 60_000);
});
