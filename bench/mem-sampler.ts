/**
 * Where a process's memory is at its RSS peak: samples process.memoryUsage(), V8's heap spaces and
 * the kernel's split of the RSS (anonymous vs file-backed pages, /proc/self/status) every few
 * milliseconds and keeps the sample with the highest RSS. A timer cannot fire inside a synchronous
 * stretch, so the kept sample can be a little under the true peak (`maxRssKiB`, from the kernel).
 */
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

/** One sample, in KiB (the kernel's unit for maxRSS). */
export interface MemSample {
  atMs: number;
  rss: number;
  /** Anonymous pages (heaps, malloc, stacks): what data growth shows up in. */
  rssAnon: number | undefined;
  /** File-backed pages (the node binary, shared libraries, mapped files). */
  rssFile: number | undefined;
  heapTotal: number;
  heapUsed: number;
  /** Memory of C++ objects bound to JavaScript, ArrayBuffers included. */
  external: number;
  arrayBuffers: number;
  /** Committed (physical) size of each V8 heap space. */
  spaces: Record<string, number>;
}

const kib = (bytes: number): number => Math.round(bytes / 1024);

function procStatus(): { rssAnon: number | undefined; rssFile: number | undefined } {
  try {
    const text = readFileSync('/proc/self/status', 'utf8');
    const field = (name: string): number | undefined => {
      const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
      return m ? Number(m[1]) : undefined;
    };
    return { rssAnon: field('RssAnon'), rssFile: field('RssFile') };
  } catch {
    return { rssAnon: undefined, rssFile: undefined };
  }
}

function sample(started: number): MemSample {
  const m = process.memoryUsage();
  const spaces: Record<string, number> = {};
  for (const s of getHeapSpaceStatistics()) spaces[s.space_name] = kib(s.physical_space_size);
  return {
    atMs: Math.round(performance.now() - started),
    rss: kib(m.rss),
    ...procStatus(),
    heapTotal: kib(m.heapTotal),
    heapUsed: kib(m.heapUsed),
    external: kib(m.external),
    arrayBuffers: kib(m.arrayBuffers),
    spaces,
  };
}

/** Starts sampling every `everyMs`; `stop()` returns the first sample and the one at the highest RSS. */
export function startMemSampler(everyMs = 5): { stop(): { start: MemSample; peak: MemSample; samples: number } } {
  const started = performance.now();
  const first = sample(started);
  let peak = first;
  let samples = 1;
  const timer = setInterval(() => {
    const s = sample(started);
    samples++;
    if (s.rss > peak.rss) peak = s;
  }, everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      const s = sample(started);
      if (s.rss > peak.rss) peak = s;
      return { start: first, peak, samples: samples + 1 };
    },
  };
}
