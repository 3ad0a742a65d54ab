/**
 * Where the MinIO backup's memory grows with object size: the tar.gz writer (src/archive/tar-write.ts)
 * fed the same bytes from a MinIO GET (what the backup does) and from a local file, for objects of
 * growing size. Each measurement runs in a process of its own, started like the bot (bin/node-flags.js),
 * and reports its peak RSS as the kernel counts it and the sample at its highest RSS.
 * Usage: npx tsx bench/archive-memory.ts [object sizes in MiB, default 8,80,240] [runs, default 2]
 */
import { execFile } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { constants } from 'node:zlib';
import { createTarGzWriter } from '../src/archive/tar-write.ts';
import { hashing } from '../src/archive/tar-hash.ts';
import { loadConfig } from '../src/config.ts';
import { createMinioClient, emptyBucket } from '../src/stores/minio/client.ts';
import { servicesEnv, up } from '../scripts/services/harness.ts';
import { startMemSampler } from './mem-sampler.ts';
import { makeFile, median } from './files.ts';
import { withNodeFlags } from '../bin/node-flags.js';

const BUCKET = 'bench-archive-memory';
const ENTRIES = 2;
type Source = 'minio' | 'file';

interface Measured {
  source: Source;
  mib: number;
  seconds: number;
  maxRssMiB: number;
  peakRssMiB: number;
  peakAnonMiB: number;
  arrayBuffersMiB: number;
}

/** In the child: one archive of ENTRIES entries, each the whole object, from `source`. */
async function measure(source: Source, mib: number, file: string, out: string): Promise<Measured> {
  const client = createMinioClient(loadConfig({ ...servicesEnv(), LOG_LEVEL: 'silent' }).minio, 30_000);
  const sampler = startMemSampler(2);
  const started = performance.now();
  const writer = createTarGzWriter(out, { strategy: constants.Z_RLE });
  for (let i = 0; i < ENTRIES; i++) {
    const body: Readable = source === 'file' ? createReadStream(file) : await client.getObject(BUCKET, `object-${mib}`);
    const h = hashing(body);
    await writer.addStream(`entry-${i}`, mib * 1024 * 1024, h.stream);
  }
  await writer.finish();
  const seconds = (performance.now() - started) / 1000;
  const { peak } = sampler.stop();
  rmSync(out, { force: true });
  const m = (kib: number | undefined): number => Math.round((kib ?? 0) / 1024);
  return { source, mib, seconds, maxRssMiB: m(process.resourceUsage().maxRSS), peakRssMiB: m(peak.rss), peakAnonMiB: m(peak.rssAnon), arrayBuffersMiB: m(peak.arrayBuffers) };
}

async function main(): Promise<void> {
  const sizes = (process.argv[2] ?? '8,80,240').split(',').map(Number);
  const runs = Number(process.argv[3] ?? 2);
  await up({ only: ['minio'], log: () => undefined });
  const env = servicesEnv();
  const client = createMinioClient(loadConfig({ ...env, LOG_LEVEL: 'silent' }).minio, 30_000);
  const dir = mkdtempSync(join(env['BACKUP_ROOT'] ?? '/tmp', 'bench-archive-memory-'));
  const results: Measured[] = [];
  try {
    if (!(await client.bucketExists(BUCKET))) await client.makeBucket(BUCKET);
    for (const mib of sizes) {
      const file = join(dir, `object-${mib}`);
      await makeFile(file, mib);
      await client.fPutObject(BUCKET, `object-${mib}`, file);
    }
    for (let r = 0; r < runs; r++) {
      for (const mib of sizes) {
        for (const source of ['minio', 'file'] as const) {
          const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', import.meta.filename, '--child', source, String(mib), join(dir, `object-${mib}`), join(dir, 'out.tar.gz')], { env: process.env });
          results.push(JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Measured);
        }
      }
    }
  } finally {
    await emptyBucket(client, BUCKET, new AbortController().signal).catch(() => undefined);
    await client.removeBucket(BUCKET).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\nThe tar.gz writer, ${ENTRIES} entries of one object, medians of ${runs} runs (MiB)\n`);
  console.log('| object | source | seconds | max RSS (kernel) | sampled peak RSS | of it anonymous | ArrayBuffers at the peak |\n|---:|---|---:|---:|---:|---:|---:|');
  for (const mib of sizes) {
    for (const source of ['minio', 'file'] as const) {
      const xs = results.filter((x) => x.mib === mib && x.source === source);
      const f = (k: keyof Measured): number => median(xs.map((x) => x[k] as number));
      console.log(`| ${mib} MiB | ${source === 'minio' ? 'MinIO GET' : 'local file'} | ${f('seconds').toFixed(1)} | ${f('maxRssMiB')} | ${f('peakRssMiB')} | ${f('peakAnonMiB')} | ${f('arrayBuffersMiB')} |`);
    }
  }
}

if (process.argv[2] === '--child') {
  withNodeFlags();
  const [, source, mib, file, out] = process.argv.slice(2);
  measure(source as Source, Number(mib), file as string, out as string).then(
    (m) => {
      process.stdout.write(`${JSON.stringify(m)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    },
  );
} else {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
