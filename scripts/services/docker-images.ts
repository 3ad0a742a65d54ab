/**
 * The test images, built FROM scratch by the harness engine (no registry): busybox-static for the
 * placeholders, and this machine's node binary with the shared libraries it links for the
 * migration service. An image is rebuilt only when its inputs change (a label holds their digest).
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ServiceContext } from './types.ts';
import type { DockerPaths } from './docker-scripts.ts';
import { run, which } from './util.ts';

export const BUSYBOX_IMAGE = 'crvs-test/busybox:1';
export const MIGRATION_IMAGE = 'crvs-test/migration:1';

function dockerEnv(p: DockerPaths): NodeJS.ProcessEnv {
  return { ...process.env, DOCKER_HOST: `unix://${p.socket}` };
}

function digest(files: string[]): string {
  const h = createHash('sha256');
  for (const f of files) {
    const s = statSync(f);
    h.update(`${f}:${s.size}:${s.mtimeMs}\n`);
  }
  return h.digest('hex').slice(0, 16);
}

async function currentLabel(p: DockerPaths, image: string): Promise<string | undefined> {
  try {
    const out = await run('docker', ['image', 'inspect', '--format', '{{index .Config.Labels "crvs.inputs"}}', image], { env: dockerEnv(p), timeoutMs: 20_000 });
    return out.trim();
  } catch {
    return undefined;
  }
}

/** Copies each file to the same absolute path under `root`. */
function copyTree(root: string, files: string[]): void {
  for (const f of files) {
    const dest = join(root, f);
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(f, dest);
  }
}

async function build(p: DockerPaths, ctx: ServiceContext, image: string, files: string[], entrypoint: string): Promise<void> {
  const inputs = digest(files);
  if ((await currentLabel(p, image)) === inputs) return;
  ctx.log(`building ${image} FROM scratch`);
  const dir = join(p.buildDir, image.replace(/[/:]/g, '_'));
  rmSync(dir, { recursive: true, force: true });
  copyTree(join(dir, 'root'), files);
  writeFileSync(join(dir, 'Dockerfile'), `FROM scratch\nCOPY root /\nLABEL crvs.inputs="${inputs}"\nENTRYPOINT ${JSON.stringify([entrypoint])}\n`);
  await run('docker', ['build', '-q', '-t', image, dir], { env: dockerEnv(p), timeoutMs: 10 * 60_000 });
  rmSync(dir, { recursive: true, force: true });
}

/** The shared libraries `ldd` lists, by the paths the loader asks for (copied as files, not links). */
async function sharedLibraries(binary: string): Promise<string[]> {
  const out = await run('ldd', [binary], { timeoutMs: 20_000 });
  const libs = new Set<string>();
  for (const m of out.matchAll(/(\/[^\s)]+)/g)) libs.add(m[1] as string);
  return [...libs];
}

/** Builds both test images when missing or stale. */
export async function buildImages(p: DockerPaths, ctx: ServiceContext): Promise<void> {
  const busybox = await which('busybox');
  if (!busybox) throw new Error('busybox is not installed: apt-get install busybox-static');
  await build(p, ctx, BUSYBOX_IMAGE, [realpathSync(busybox)], realpathSync(busybox));
  const node = realpathSync(process.execPath);
  const libs = await sharedLibraries(node);
  await build(p, ctx, MIGRATION_IMAGE, [node, ...libs], node);
}
