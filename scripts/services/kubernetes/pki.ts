/**
 * The test cluster's keys and certificates, made with openssl on every start (a fresh cluster):
 * a CA, the API server's serving certificate for 127.0.0.1, an admin client certificate in
 * system:masters, and the service-account signing key pair. Private keys are written 0600.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../util.ts';

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  saKey: string;
  saPub: string;
}

async function openssl(args: string[]): Promise<void> {
  await run('openssl', args, { timeoutMs: 60_000 });
}

async function signed(p: Pki, name: string, subject: string, extensions: string): Promise<void> {
  const key = join(p.dir, `${name}.key`);
  const csr = join(p.dir, `${name}.csr`);
  const ext = join(p.dir, `${name}.ext`);
  writeFileSync(ext, extensions);
  await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', subject]);
  chmodSync(key, 0o600);
  await openssl(['x509', '-req', '-in', csr, '-CA', p.caCert, '-CAkey', p.caKey, '-CAcreateserial', '-out', join(p.dir, `${name}.crt`), '-days', '3650', '-extfile', ext]);
}

/** Makes every key and certificate under `dir`. */
export async function makePki(dir: string): Promise<Pki> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f = (n: string): string => join(dir, n);
  const p: Pki = {
    dir,
    caCert: f('ca.crt'),
    caKey: f('ca.key'),
    serverCert: f('apiserver.crt'),
    serverKey: f('apiserver.key'),
    adminCert: f('admin.crt'),
    adminKey: f('admin.key'),
    saKey: f('sa.key'),
    saPub: f('sa.pub'),
  };
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', p.caKey, '-out', p.caCert, '-days', '3650', '-subj', '/CN=crvs-test-cluster-ca']);
  chmodSync(p.caKey, 0o600);
  await signed(p, 'apiserver', '/CN=kube-apiserver', 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc,IP:10.96.0.1\nextendedKeyUsage=serverAuth\n');
  await signed(p, 'admin', '/O=system:masters/CN=crvs-test-admin', 'extendedKeyUsage=clientAuth\n');
  await openssl(['genrsa', '-out', p.saKey, '2048']);
  chmodSync(p.saKey, 0o600);
  await openssl(['rsa', '-in', p.saKey, '-pubout', '-out', p.saPub]);
  return p;
}

/** A kubeconfig for `server` as the admin user (certificates inlined): what the bot and tests read. */
export function writeKubeconfig(file: string, server: string, p: Pki): void {
  const b64 = (path: string): string => readFileSync(path).toString('base64');
  const text = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: crvs-test',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${b64(p.caCert)}`,
    'users:',
    '- name: crvs-test-admin',
    '  user:',
    `    client-certificate-data: ${b64(p.adminCert)}`,
    `    client-key-data: ${b64(p.adminKey)}`,
    'contexts:',
    '- name: crvs-test',
    '  context:',
    '    cluster: crvs-test',
    '    user: crvs-test-admin',
    '    namespace: default',
    'current-context: crvs-test',
    '',
  ].join('\n');
  writeFileSync(file, text, { mode: 0o600 });
}
