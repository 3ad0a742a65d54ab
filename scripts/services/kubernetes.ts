/**
 * Kubernetes: a real API server for the Kubernetes platform's tests — etcd, kube-apiserver,
 * kube-controller-manager and kube-scheduler built from the Go module proxy
 * (kubernetes-build.sh), and kwok playing one node and its pods' lifecycle
 * (kubernetes/kwok-stages.yaml). All on 127.0.0.1 with free ports; a fresh cluster on every start.
 * .services/env gets KUBECONFIG (an admin kubeconfig in the services folder).
 */
import { request } from 'node:https';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningService, ServiceContext, ServiceSpec } from './types.ts';
import { makePki, writeKubeconfig, type Pki } from './kubernetes/pki.ts';
import { alive, run, spawnDaemon, stopPids, waitFor, which } from './util.ts';

export const KUBE_VERSION = 'v1.36.3';
export const ETCD_VERSION = 'v3.6.16';
export const KWOK_VERSION = 'v0.7.0';
/** A cold build took ~15 min on 2 busy cores; leave plenty of room. */
const BUILD_TIMEOUT_MS = 75 * 60_000;
/** The API server on a loaded machine can take a minute to be ready. */
const START_TIMEOUT_MS = 240_000;
export const KWOK_NODE = 'kwok-node-0';

type Binary = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok';

function binary(cacheDir: string, name: Binary): string {
  const version = name === 'etcd' ? ETCD_VERSION : name === 'kwok' ? KWOK_VERSION : KUBE_VERSION;
  return join(cacheDir, 'bin', `${name}-${version}`);
}

const BINARIES: Binary[] = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'];

async function install(ctx: ServiceContext): Promise<void> {
  if (BINARIES.every((b) => existsSync(binary(ctx.cacheDir, b)))) return;
  if (!(await which('go'))) throw new Error('kubernetes: the go command is needed to build the test cluster (scripts/setup.sh installs it)');
  ctx.log(`building etcd ${ETCD_VERSION}, Kubernetes ${KUBE_VERSION} and kwok ${KWOK_VERSION} from the Go module proxy (first run only; ~15 min on 2 cores)`);
  const started = Date.now();
  await run('nice', ['-n', '10', 'bash', join(import.meta.dirname, 'kubernetes-build.sh'), ctx.cacheDir, KUBE_VERSION, ETCD_VERSION, KWOK_VERSION], { timeoutMs: BUILD_TIMEOUT_MS });
  ctx.log(`built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** One HTTPS call to the API server as the admin; resolves with status and body. */
function call(server: string, p: Pki, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${server}${path}`,
      {
        method,
        ca: readFileSync(p.caCert),
        cert: readFileSync(p.adminCert),
        key: readFileSync(p.adminKey),
        headers: body === undefined ? {} : { 'content-type': contentType },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
}

/** The fake node kwok plays (it manages nodes annotated kwok.x-k8s.io/node=fake). */
function nodeObject(): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: KWOK_NODE, annotations: { 'kwok.x-k8s.io/node': 'fake' }, labels: { type: 'kwok', 'kubernetes.io/hostname': KWOK_NODE } },
    status: { allocatable: { cpu: '32', memory: '256Gi', pods: '110' }, capacity: { cpu: '32', memory: '256Gi', pods: '110' } },
  };
}

async function start(ctx: ServiceContext): Promise<RunningService> {
  // A fresh cluster every time: no objects of an earlier run can confuse a test.
  for (const d of ['etcd', 'pki', 'logs']) rmSync(join(ctx.dataDir, d), { recursive: true, force: true });
  const logs = join(ctx.dataDir, 'logs');
  mkdirSync(logs, { recursive: true });
  const p = await makePki(join(ctx.dataDir, 'pki'));
  const pids: number[] = [];
  const bin = (b: Binary): string => binary(ctx.cacheDir, b);
  try {
    const etcdPort = await ctx.freePort();
    const peerPort = await ctx.freePort();
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    pids.push(
      spawnDaemon(
        bin('etcd'),
        ['--name', 'crvs', '--data-dir', join(ctx.dataDir, 'etcd'), '--listen-client-urls', etcdUrl, '--advertise-client-urls', etcdUrl, '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl, '--initial-cluster', `crvs=${peerUrl}`, '--unsafe-no-fsync', '--log-level', 'warn'],
        { logFile: join(logs, 'etcd.log') },
      ),
    );
    await waitFor('etcd', async () => ((await fetch(`${etcdUrl}/health`, { signal: AbortSignal.timeout(2000) })).ok ? true : undefined), START_TIMEOUT_MS, pids[0]);

    const apiPort = await ctx.freePort();
    const server = `https://127.0.0.1:${apiPort}`;
    const apiPid = spawnDaemon(
      bin('kube-apiserver'),
      [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--tls-cert-file=${p.serverCert}`,
        `--tls-private-key-file=${p.serverKey}`,
        `--client-ca-file=${p.caCert}`,
        `--service-account-key-file=${p.saPub}`,
        `--service-account-signing-key-file=${p.saKey}`,
        '--service-account-issuer=https://kubernetes.default.svc',
        '--authorization-mode=RBAC',
        '--service-cluster-ip-range=10.96.0.0/16',
        // The node address is loopback, which the kubernetes Service's endpoints may not carry.
        '--endpoint-reconciler-type=none',
        '--profiling=false',
        '--kubelet-preferred-address-types=InternalIP',
        `--cert-dir=${join(ctx.dataDir, 'pki')}`,
      ],
      { logFile: join(logs, 'kube-apiserver.log') },
    );
    pids.push(apiPid);
    await waitFor('kube-apiserver', async () => ((await call(server, p, 'GET', '/readyz')).status === 200 ? true : undefined), START_TIMEOUT_MS, apiPid);

    const kubeconfig = join(ctx.dataDir, 'kubeconfig');
    writeKubeconfig(kubeconfig, server, p);
    pids.push(
      spawnDaemon(
        bin('kube-controller-manager'),
        [`--kubeconfig=${kubeconfig}`, '--leader-elect=false', '--secure-port=0', `--service-account-private-key-file=${p.saKey}`, `--root-ca-file=${p.caCert}`, '--use-service-account-credentials=false', '--controllers=*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle'],
        { logFile: join(logs, 'kube-controller-manager.log') },
      ),
    );
    pids.push(spawnDaemon(bin('kube-scheduler'), [`--kubeconfig=${kubeconfig}`, '--leader-elect=false', '--secure-port=0'], { logFile: join(logs, 'kube-scheduler.log') }));
    // kwok also serves the node's kubelet API (exec) on loopback: the API server reaches it there.
    const kubeletPort = await ctx.freePort();
    pids.push(
      spawnDaemon(
        bin('kwok'),
        [
          `--kubeconfig=${kubeconfig}`,
          `--config=${join(import.meta.dirname, 'kubernetes', 'kwok-stages.yaml')}`,
          '--manage-all-nodes=false',
          '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
          '--cidr=10.0.0.1/24',
          '--node-ip=127.0.0.1',
          `--node-port=${kubeletPort}`,
          `--server-address=127.0.0.1:${kubeletPort}`,
          `--tls-cert-file=${p.serverCert}`,
          `--tls-private-key-file=${p.serverKey}`,
        ],
        { logFile: join(logs, 'kwok.log'), env: { ...process.env, HOME: ctx.dataDir } },
      ),
    );
    const created = await call(server, p, 'POST', '/api/v1/nodes', nodeObject());
    if (created.status !== 201) throw new Error(`kubernetes: creating the kwok node failed (${created.status}): ${created.body.slice(0, 300)}`);
    // Ready node (kwok), and the default service account (controller-manager): pods can be created.
    await waitFor(
      'kubernetes node and controllers',
      async () => {
        for (const pid of pids) if (!alive(pid)) throw new Error('a cluster process exited during start-up (see .services/kubernetes/logs)');
        const node = JSON.parse((await call(server, p, 'GET', `/api/v1/nodes/${KWOK_NODE}`)).body) as { status?: { conditions?: Array<{ type: string; status: string }> } };
        if (!node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return undefined;
        return (await call(server, p, 'GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200 ? true : undefined;
      },
      START_TIMEOUT_MS,
    );
    // The node was created not Ready, so admission tainted it not-ready; the node lifecycle
    // controller (off here: nothing to evict on a fake node) would lift that taint. Lift it.
    const untainted = await call(server, p, 'PATCH', `/api/v1/nodes/${KWOK_NODE}`, { spec: { taints: null } }, 'application/merge-patch+json');
    if (untainted.status !== 200) throw new Error(`kubernetes: untainting the kwok node failed (${untainted.status}): ${untainted.body.slice(0, 300)}`);
    const version = (JSON.parse((await call(server, p, 'GET', '/version')).body) as { gitVersion?: string }).gitVersion ?? 'unknown';
    return {
      name: 'kubernetes',
      version: `${version} (etcd ${ETCD_VERSION}, kwok ${KWOK_VERSION})`,
      url: server,
      pid: apiPid,
      pids,
      real: true,
      env: { KUBECONFIG: kubeconfig },
    };
  } catch (err) {
    await stopPids(pids.reverse());
    throw err;
  }
}

export const kubernetes: ServiceSpec = {
  name: 'kubernetes',
  install,
  start,
  // kwok and the controllers first, etcd last: nothing writes to a store that is gone.
  async stop(service) {
    for (const pid of [...service.pids].reverse()) await stopPids([pid]);
  },
};
