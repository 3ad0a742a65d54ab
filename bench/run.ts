/**
 * All the benchmarks in one run, each against its reference tool measured in the same run.
 *
 *   npm run -s bench -- --quick --json   # scale 1, few rounds: one JSON array on stdout, a few minutes
 *   npm run bench                        # scales 1 and 10: tables, and bench/README.md's generated part
 *
 * Every row is {name, ours_s, reference_s, ratio}; ratio > 1 means the bot is faster. For the ack
 * latency there is no reference tool: the reference is the issue's goal (100 ms p99), said so in the
 * name. Progress goes to stderr, so stdout stays one JSON document with --json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { up } from '../scripts/services/harness.ts';
import { benchOffsite, offsiteTable } from './offsite.ts';
import { benchPostgres, postgresTable } from './postgres.ts';
import { benchSlackAck } from './slack-ack.ts';
import { benchStores, storesTable } from './stores.ts';

export interface BenchRow {
  name: string;
  ours_s: number;
  reference_s: number | null;
  ratio: number | null;
}

const ACK_GOAL_S = 0.1;
const round = (n: number): number => Math.round(n * 1000) / 1000;

function row(name: string, oursMs: number, referenceMs: number | undefined): BenchRow {
  const ours = oursMs / 1000;
  if (referenceMs === undefined || !Number.isFinite(referenceMs)) return { name, ours_s: round(ours), reference_s: null, ratio: null };
  const ref = referenceMs / 1000;
  return { name, ours_s: round(ours), reference_s: round(ref), ratio: round(ref / ours) };
}

const progress = (line: string): void => void process.stderr.write(`bench: ${line}\n`);

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const json = process.argv.includes('--json');
  const scales = quick ? [1] : [1, 10];
  await up({ only: ['redis', 'mongo', 'mongo-tools', 'minio', 'postgres', 'sshd'], log: () => undefined });
  const rows: BenchRow[] = [];
  const tables: string[] = [];

  progress(`MongoDB vs mongodump/mongorestore, scales ${scales.join(', ')}`);
  const stores = await benchStores(scales, { minio: !quick });
  for (const r of stores) {
    rows.push(row(`mongo backup vs mongodump (scale ${r.scale})`, r.backupMs, r.mongodumpMs));
    rows.push(row(`mongo restore vs mongorestore (scale ${r.scale})`, r.restoreMs, r.mongorestoreMs));
  }
  tables.push(`### MongoDB and MinIO\n\n${storesTable(stores)}`);

  progress(`PostgreSQL vs pg_dump/pg_restore, scales ${scales.join(', ')}`);
  const pg = await benchPostgres(scales);
  for (const r of pg) {
    rows.push(row(`postgres backup vs pg_dump (scale ${r.scale})`, r.backupMs, r.pgDumpMs));
    rows.push(row(`postgres restore vs pg_restore (scale ${r.scale})`, r.restoreMs, r.pgRestoreMs));
  }
  tables.push(`### PostgreSQL\n\n${postgresTable(pg)}`);

  progress('offsite verified copy vs scp');
  const offsite = quick ? await benchOffsite(16, 4, 3) : await benchOffsite(64, 4, 5);
  const scp = offsite.rows.find((o) => o.method === 'scp');
  for (const o of offsite.rows.filter((x) => x.method !== 'scp' && !x.limit)) rows.push(row(`offsite ${o.method} vs scp`, o.seconds * 1000, scp ? scp.seconds * 1000 : undefined));
  tables.push(`### Offsite copy (${quick ? '4 × 16 MiB, 3 rounds' : '4 × 64 MiB, 5 rounds'})\n\n${offsiteTable(offsite)}`);

  progress('Slack ack latency, 50 concurrent');
  const acks = await benchSlackAck({ quiet: true });
  for (const a of acks) rows.push(row(`ack p99: ${a.name} (reference: the 100 ms goal)`, a.p99Ms, ACK_GOAL_S * 1000));
  tables.push(`### Slack acks (p99 against the 100 ms goal)\n\n| surface | n | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|\n${acks.map((a) => `| ${a.name} | ${a.n} | ${a.p50Ms.toFixed(1)} | ${a.p99Ms.toFixed(1)} | ${a.maxMs.toFixed(1)} |`).join('\n')}\n`);

  if (json) {
    process.stdout.write(`${JSON.stringify(rows)}\n`);
    return;
  }
  const summary = `| comparison | ours (s) | reference (s) | ratio |\n|---|---:|---:|---:|\n${rows.map((r) => `| ${r.name} | ${r.ours_s} | ${r.reference_s ?? '—'} | ${r.ratio ?? '—'} |`).join('\n')}\n`;
  const generated = `<!-- bench:generated:start -->\n## Last full run (\`npm run bench\`, ${new Date().toISOString().slice(0, 16)} UTC)\n\n${summary}\n${tables.join('\n')}<!-- bench:generated:end -->`;
  process.stdout.write(`${summary}\n${tables.join('\n')}`);
  if (!quick) {
    const path = join(import.meta.dirname, 'README.md');
    const text = readFileSync(path, 'utf8');
    const re = /<!-- bench:generated:start -->[\s\S]*<!-- bench:generated:end -->/;
    writeFileSync(path, re.test(text) ? text.replace(re, generated) : `${text.trimEnd()}\n\n${generated}\n`);
    progress('bench/README.md: the generated part written');
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
