/** Terminal output: a live line per store on a TTY, plain lines otherwise. */
import { formatBytesShort } from '../report/format.ts';
import type { Progress } from '../stores/types.ts';

export interface Printer {
  line(text: string): void;
  progress(p: Progress): void;
  done(): void;
}

export function createPrinter(out: NodeJS.WriteStream | NodeJS.WritableStream = process.stdout): Printer {
  const tty = 'isTTY' in out && out.isTTY === true;
  let live = false;
  // The same units as the summary lines and the reports ("293 kB", not "0.3 MB" or "0.0 MB").
  const size = (b: number | undefined): string => (b === undefined ? '' : ` ${formatBytesShort(b)}`);
  return {
    line(text) {
      if (live) out.write('\n');
      live = false;
      out.write(`${text}\n`);
    },
    progress(p) {
      const text = `${p.store.padEnd(13)} ${p.message}${size(p.bytes)}`;
      if (!tty) {
        out.write(`${text}\n`);
        return;
      }
      const final = p.message === 'done' || p.message.startsWith('failed') || p.message.startsWith('restored');
      out.write(`\r\x1b[2K${text}`);
      live = !final;
      if (final) out.write('\n');
    },
    done() {
      if (live) out.write('\n');
      live = false;
    },
  };
}

/** Sizes as the reports show them (kB/MB/GB, decimal). */
export { formatBytesShort as formatBytes } from '../report/format.ts';
