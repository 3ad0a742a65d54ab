/**
 * The bot of the end-to-end restore benchmark in a process of its own, started as an operator
 * starts it (`bin/start.js` with SLACK_BOT_TOKEN set: the whole bot, HTTP receiver, queue and
 * workers), its configuration in its environment (never in argv), its log in a file. Its peak RSS
 * is read from /proc (VmHWM) before it is stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const READY = 'crvs-backup-bot is running';

/** The bot's process. */
export interface BotProcess {
  pid: number;
  /** Peak resident set size so far, MiB (VmHWM). */
  peakRssMiB(): number;
  /** Resident set size when it said it was running, MiB (VmRSS): the baseline of the peak. */
  readyRssMiB: number;
  /** The last lines of its log, for an error message. */
  tail(): string;
  /** SIGTERM, bounded wait, SIGKILL. */
  stop(): Promise<void>;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

export async function startBotProcess(env: Record<string, string>, logFile: string, readyTimeoutMs = 120_000): Promise<BotProcess> {
  const log = createWriteStream(logFile, { flags: 'w' });
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'start.js')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = '';
  child.stdout?.on('data', (b: Buffer) => {
    log.write(b);
    if (seen.length < 1 << 16) seen += b.toString('utf8');
  });
  child.stderr?.on('data', (b: Buffer) => log.write(b));
  const tail = (): string => {
    try {
      return readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
    } catch {
      return seen.slice(-2000);
    }
  };
  const deadline = Date.now() + readyTimeoutMs;
  while (!seen.includes(READY)) {
    if (exited(child)) throw new Error(`the bot exited before it was ready (code ${child.exitCode}):\n${tail()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the bot was not ready within ${readyTimeoutMs / 1000} s:\n${tail()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = child.pid ?? 0;
  const statusMiB = (field: 'VmHWM' | 'VmRSS'): number => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  };
  return {
    pid,
    peakRssMiB: () => statusMiB('VmHWM'),
    readyRssMiB: statusMiB('VmRSS'),
    tail,
    async stop() {
      if (!exited(child)) {
        const gone = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        await gone;
        clearTimeout(timer);
      }
      await new Promise<void>((r) => log.end(() => r()));
    },
  };
}
