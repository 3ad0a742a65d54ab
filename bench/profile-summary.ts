/**
 * Summarises a V8 CPU profile (.cpuprofile): self time per function and per package/file, the
 * biggest first, so "where do the milliseconds go" can be answered without a browser.
 *
 *   npx tsx bench/profile-summary.ts out.cpuprofile [--top 25]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The package (node_modules/<name>) or the project file a frame belongs to. */
function owner(url: string): string {
  if (url === '') return '(native / V8)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1]) return pkg[1];
  if (url.startsWith('node:')) return url;
  const local = /\/(src|commands|jobs|bench|scripts)\/(.*)$/.exec(url);
  return local ? `${local[1]}/${local[2]}` : url;
}

function table(title: string, totals: Map<string, number>, all: number, top: number): string {
  const rows = [...totals.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return `${title}\n${rows.map(([k, us]) => `${(us / 1000).toFixed(1).padStart(9)} ms ${((100 * us) / all).toFixed(1).padStart(5)} %  ${k}`).join('\n')}`;
}

const file = process.argv[2];
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [--top N]');
const topAt = process.argv.indexOf('--top');
const top = topAt >= 0 ? Number(process.argv[topAt + 1]) : 25;
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const byFunction = new Map<string, number>();
const byOwner = new Map<string, number>();
let all = 0;
let idle = 0;
profile.samples.forEach((id, i) => {
  const us = profile.timeDeltas[i] ?? 0;
  const node = byId.get(id);
  if (!node) return;
  const { functionName, url, lineNumber } = node.callFrame;
  all += us;
  if (functionName === '(idle)') idle += us;
  const fn = `${functionName || '(anonymous)'} ${owner(url)}:${lineNumber + 1}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  byOwner.set(owner(url), (byOwner.get(owner(url)) ?? 0) + us);
});
console.log(`profiled ${(all / 1000).toFixed(0)} ms, of which idle ${(idle / 1000).toFixed(0)} ms, busy ${((all - idle) / 1000).toFixed(0)} ms\n`);
console.log(table('self time by package / file', byOwner, all, top));
console.log('');
console.log(table('self time by function', byFunction, all, top));
