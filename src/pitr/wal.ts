/**
 * Where the WAL archive lives and how its names read: `<BACKUP_ROOT>/postgres-wal/<stream>/`, one
 * folder per stream (a stream starts when the archiver first runs, when its slot had to be dropped,
 * and after a restore to a moment: each is a continuous run of WAL on one timeline). The name of the
 * current stream is kept in `postgres-wal/current`.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

export const WAL_DIR = 'postgres-wal';
/** A complete WAL segment file: timeline, log, segment (8 hex digits each). */
export const SEGMENT = /^[0-9A-F]{24}$/;
export const HISTORY = /^[0-9A-F]{8}\.history$/;
const STREAM = /^s-\d{8}T\d{6}Z(-\d+)?$/;

export function walRoot(backupRoot: string): string {
  return join(backupRoot, WAL_DIR);
}

export function streamDir(backupRoot: string, stream: string): string {
  if (!STREAM.test(stream)) throw new Error(`not a WAL stream name: ${stream}`);
  return join(walRoot(backupRoot), stream);
}

export function isStreamName(name: string): boolean {
  return STREAM.test(name);
}

function newStreamName(now: Date): string {
  return `s-${now.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
}

/** The archiver, the monitor and a restore may ask at once: one change of the pointer at a time. */
let pointerQueue: Promise<unknown> = Promise.resolve();
function serialized<T>(fn: () => Promise<T>): Promise<T> {
  const next = pointerQueue.then(fn, fn);
  pointerQueue = next.catch(() => undefined);
  return next;
}

/** The current stream, created (folder and pointer) when there is none yet. */
export function currentStream(backupRoot: string, now = new Date()): Promise<string> {
  return serialized(() => readOrStart(backupRoot, now));
}

async function readOrStart(backupRoot: string, now: Date): Promise<string> {
  try {
    const name = (await readFile(join(walRoot(backupRoot), 'current'), 'utf8')).trim();
    if (STREAM.test(name)) {
      await mkdir(streamDir(backupRoot, name), { recursive: true });
      return name;
    }
  } catch {
    /* none yet */
  }
  return writeNewStream(backupRoot, now);
}

/** Starts a new stream (the next archiver run writes into it) and returns its name. */
export function startNewStream(backupRoot: string, now = new Date()): Promise<string> {
  return serialized(() => writeNewStream(backupRoot, now));
}

async function writeNewStream(backupRoot: string, now: Date): Promise<string> {
  let name = newStreamName(now);
  let previous: string | undefined;
  try {
    previous = (await readFile(join(walRoot(backupRoot), 'current'), 'utf8')).trim();
  } catch {
    /* first stream */
  }
  // Two streams started within one second (a test, or a drop right after a start) get a suffix.
  if (previous !== undefined && previous.startsWith(name)) name = `${name}-${Date.now() % 100000}`;
  await mkdir(streamDir(backupRoot, name), { recursive: true });
  const tmp = join(walRoot(backupRoot), `.current-${process.pid}-${randomUUID()}`);
  await writeFile(tmp, `${name}\n`);
  await rename(tmp, join(walRoot(backupRoot), 'current'));
  return name;
}

/** An LSN ("16/B374D848") as a number of bytes. */
export function parseLsn(lsn: string): bigint {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn.trim());
  if (!m) throw new Error(`not an LSN: ${lsn}`);
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

/** The name of the segment file holding `lsn` on `timeline`. */
export function segmentOf(timeline: number, lsn: bigint, segmentBytes: number): string {
  const segno = lsn / BigInt(segmentBytes);
  const perLog = 0x1_0000_0000n / BigInt(segmentBytes);
  const hex = (n: bigint | number): string => n.toString(16).toUpperCase().padStart(8, '0');
  return `${hex(timeline)}${hex(segno / perLog)}${hex(segno % perLog)}`;
}

/** The segment after `name` (same timeline). */
export function nextSegment(name: string, segmentBytes: number): string {
  const tli = Number.parseInt(name.slice(0, 8), 16);
  const perLog = 0x1_0000_0000n / BigInt(segmentBytes);
  const segno = BigInt(`0x${name.slice(8, 16)}`) * perLog + BigInt(`0x${name.slice(16, 24)}`) + 1n;
  return segmentOf(tli, segno * BigInt(segmentBytes), segmentBytes);
}

/** What the monitor knows of a stream: everything committed up to `completeAt` is in the archive. */
export interface StreamProgress {
  stream: string;
  completeAt: string | undefined;
  completeLsn: string | undefined;
  updatedAt: string;
}

export async function readProgress(backupRoot: string, stream: string): Promise<StreamProgress | undefined> {
  try {
    const raw = JSON.parse(await readFile(join(streamDir(backupRoot, stream), 'progress.json'), 'utf8')) as Partial<StreamProgress>;
    if (typeof raw.updatedAt !== 'string') return undefined;
    return { stream, completeAt: typeof raw.completeAt === 'string' ? raw.completeAt : undefined, completeLsn: typeof raw.completeLsn === 'string' ? raw.completeLsn : undefined, updatedAt: raw.updatedAt };
  } catch {
    return undefined;
  }
}

export async function writeProgress(backupRoot: string, p: StreamProgress): Promise<void> {
  const dir = streamDir(backupRoot, p.stream);
  const tmp = join(dir, `.progress-${process.pid}-${randomUUID()}`);
  await writeFile(tmp, JSON.stringify(p));
  await rename(tmp, join(dir, 'progress.json'));
}
