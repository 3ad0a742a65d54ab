/**
 * The exec layer's pod target (`pod:<namespace>/<pod>[:<container>]`) through the harness's real
 * API server: the exec subresource over its WebSocket, to the node's kubelet API. The node is
 * kwok's, which has no containers: its ClusterExec runs the command as a process on this host
 * (scripts/services/kubernetes/kwok-stages.yaml). Everything between the bot and that process is
 * the real path: the API server's authentication and authorisation, the upgrade to the exec
 * protocol, the streams and the exit status.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, ExecError } from '../src/errors.ts';
import { createExecutor, targetFromSetting, type Executor } from '../src/exec/index.ts';
import { kubeClients, kubeconfigPath, namespaceName, removeNamespace, until, type Kube } from './helpers/kube.ts';

let k: Kube;
const namespace = namespaceName();
let exec: Executor;

beforeAll(async () => {
  k = kubeClients();
  await k.core.createNamespace({ body: { metadata: { name: namespace } } });
  await until(`service account of ${namespace}`, 120_000, async () => {
    await k.core.readNamespacedServiceAccount({ name: 'default', namespace });
    return true;
  });
  await k.core.createNamespacedPod({ namespace, body: { metadata: { name: 'influxdb-0' }, spec: { containers: [{ name: 'influxdb', image: 'crvs-test/influxdb:1' }] } } });
  await until('pod influxdb-0 running', 120_000, async () => (await k.core.readNamespacedPod({ name: 'influxdb-0', namespace })).status?.phase === 'Running');
  exec = createExecutor(targetFromSetting(`pod:${namespace}/influxdb-0:influxdb`, undefined, 'INFLUX_EXEC', kubeconfigPath()));
});

afterAll(async () => {
  if (k) await removeNamespace(k, namespace);
});

describe('exec in a pod through the Kubernetes API', () => {
  it('runs a command: its stdout, its stdin, and secrets passed as variables (never in argv)', async () => {
    expect(exec.target).toBe(`pod:${namespace}/influxdb-0:influxdb`);
    const secret = `s3cret-${randomBytes(6).toString('hex')}`;
    // `head -n 2`, not `cat`: kwok's exec does not pass the end of stdin on to the process.
    const r = await exec.run(['sh', '-c', 'printf "%s|" "$INFLUX_PASSWORD"; head -n 2'], { timeoutMs: 60_000, env: { INFLUX_PASSWORD: secret }, stdin: Readable.from([Buffer.from('line one\nline two\n')]) });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${secret}|line one\nline two\n`);
  });

  it('fails with the exit code and stderr of a failing command', async () => {
    const err = await exec.run(['sh', '-c', 'echo "influxd: restore failed" >&2; exit 3'], { timeoutMs: 60_000 }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ExecError);
    expect((err as ExecError).exitCode2).toBe(3);
    expect((err as Error).message).toContain('influxd: restore failed');
  });

  it('says what the API server answered for a pod that does not exist', async () => {
    const absent = createExecutor(targetFromSetting(`pod:${namespace}/influxdb-9:influxdb`, undefined, 'INFLUX_EXEC', kubeconfigPath()));
    const err = await absent.run(['true'], { timeoutMs: 60_000 }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ExecError);
    expect((err as Error).message).toMatch(/influxdb-9.*not found|not found.*influxdb-9|404/);
  });

  it('refuses a malformed pod setting by naming the variable', () => {
    expect(() => targetFromSetting('pod:Bad_NS', undefined, 'POSTGRES_EXEC')).toThrow(ConfigError);
    expect(() => targetFromSetting('pod:Bad_NS', undefined, 'POSTGRES_EXEC')).toThrow(/POSTGRES_EXEC/);
  });
});
