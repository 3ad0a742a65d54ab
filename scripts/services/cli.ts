/** `npm run services -- up|down|status [--json] [--only a,b]` */
import { relative } from 'node:path';
import { down, servicesDir, status, up } from './harness.ts';
import type { RunningService } from './types.ts';

/** .services/env as the user can type it: relative to where they are when it is below. */
function envFile(): string {
  const rel = relative(process.cwd(), `${servicesDir()}/env`);
  return rel.startsWith('..') ? `${servicesDir()}/env` : rel;
}

function table(rows: RunningService[]): string {
  const head = ['name', 'version', 'url', 'pid'];
  const data = rows.map((r) => [r.name, r.version, r.url, String(r.pid)]);
  const widths = head.map((h, i) => Math.max(h.length, ...data.map((d) => (d[i] ?? '').length)));
  return [head, ...data].map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')).join('\n');
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const cmd = args[0] ?? 'status';
  const json = args.includes('--json');
  const onlyIdx = args.indexOf('--only');
  const only = onlyIdx >= 0 ? (args[onlyIdx + 1] ?? '').split(',').filter(Boolean) : undefined;
  const opts = only ? { only } : {};
  const print = (rows: RunningService[]): void => {
    if (json) {
      const out = rows.map(({ name, version, url, pid, real }) => ({ name, version, url, pid, real }));
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    } else process.stdout.write(`${table(rows)}\n`);
  };
  if (cmd === 'up') {
    const started = Date.now();
    const rows = await up(opts);
    print(rows);
    if (!json) process.stdout.write(`all services up in ${((Date.now() - started) / 1000).toFixed(1)} s; variables in ${envFile()} (load them: set -a; . ${envFile()}; set +a)\n`);
    return 0;
  }
  if (cmd === 'down') {
    const rows = await down(opts);
    if (!json) process.stdout.write(`stopped: ${rows.map((r) => r.name).join(', ') || 'nothing was running'}\n`);
    else print(rows);
    return 0;
  }
  if (cmd === 'status') {
    const rows = status(opts);
    if (json) print(rows);
    else process.stdout.write(`${table(rows)}\n${rows.map((r) => `${r.name}: ${r.running ? 'running' : 'STOPPED'}`).join('\n')}\n`);
    return rows.every((r) => r.running) ? 0 : 1;
  }
  process.stderr.write('usage: npm run services -- up|down|status [--json] [--only name,name]\n');
  return 2;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`services: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
