/**
 * All the benchmarks in one run, each against its reference tool measured in the same run.
 *
 *   npm run -s bench -- --quick --json   # scale 1, few rounds: one JSON array on stdout, a few minutes
 *   npm run bench                        # scales 1 and 10: tables, and bench/README.md's generated part
 *
 * Every row is {name, ours_s, reference_s, ratio}; ratio > 1 means the bot is faster. For the ack
 * latency there is no reference tool: the reference is the issue's goal (100 ms p99), said so in the
 * name; neither for the end-to-end restore (no tool does the whole runbook), whose row has none.
 * `/backup status` is measured twice: on the Slack surface alone (bench/slack-ack.ts) and with the
 * whole bot in one process (bench/slack-ack-live.ts), which is what the goal is about; the time
 * until the status reply reaches Slack is reported beside it (no reference). Progress goes to
 * stderr, so stdout stays one JSON document with --json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { up } from '../scripts/services/harness.ts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { offsiteTable, type OffsiteBench } from './offsite.ts';
import { benchPostgres, postgresTable } from './postgres.ts';
import { benchRestoreE2e, e2eTable, type E2eResult } from './restore-e2e.ts';
import { benchSlackAck } from './slack-ack.ts';
import { benchSlackAckLive, type Stats } from './slack-ack-live.ts';
import { benchStores, mallocEnv, nodeFlags, storesTable } from './stores.ts';

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

/**
 * The offsite bench in a process of its own, started like the bot and the store operations (the
 * bot's V8 flags and malloc settings): the bot-side crypto it measures then shares nothing with the
 * heap and timers this process gathered in the benches before.
 */
async function offsiteInChild(mib: number, count: number, runs: number): Promise<OffsiteBench> {
  const { stdout } = await promisify(execFile)(process.execPath, [...nodeFlags(), '--import', 'tsx', join(import.meta.dirname, 'offsite.ts'), String(mib), String(count), String(runs), '--json'], {
    env: { ...mallocEnv(), ...process.env },
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as OffsiteBench;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const json = process.argv.includes('--json');
  const scales = quick ? [1] : [1, 10];
  await up({ only: ['redis', 'mongo', 'mongo-tools', 'minio', 'postgres', 'sshd'], log: () => undefined });
  const rows: BenchRow[] = [];
  const tables: string[] = [];

  progress(`MongoDB vs mongodump/mongorestore, scales ${scales.join(', ')}`);
  const stores = await benchStores(scales, { minio: !quick, runs: quick ? 1 : 3, restore: !quick });
  for (const r of stores) {
    rows.push(row(`mongo backup vs mongodump (scale ${r.scale})`, r.backupMs, r.mongodumpMs));
    if (r.mongorestoreIndexError === undefined) rows.push(row(`mongo load vs mongorestore, both restoring indexes (scale ${r.scale})`, r.loadMs, r.mongorestoreMs));
    else rows.push(row(`mongo load vs mongorestore --noIndexRestore + the same index build (mongorestore's own index restore refused; scale ${r.scale})`, r.loadMs, r.mongorestorePlusIndexesMs));
    rows.push(row(`mongo load with indexes vs mongorestore --noIndexRestore (scale ${r.scale})`, r.loadMs, r.mongorestoreNoIndexMs));
    // The verification before the first drop has no counterpart in mongorestore: reported apart.
    rows.push(row(`mongo set verification before a restore (scale ${r.scale}; mongorestore verifies nothing)`, r.verifyMs, undefined));
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
  const offsite = quick ? await offsiteInChild(16, 4, 3) : await offsiteInChild(64, 4, 5);
  for (const o of offsite.rows.filter((x) => x.method !== 'scp' && !x.limit)) {
    const reference = offsite.rows.find((r) => r.method === (o.reference ?? 'scp'));
    rows.push(row(`offsite ${o.method} vs ${o.reference ?? 'scp'}`, o.seconds * 1000, reference ? reference.seconds * 1000 : undefined));
  }
  // Where scp's speed is out of reach, how close the bot is to what a verified copy costs here.
  for (const o of offsite.rows.filter((x) => x.vsLimit)) {
    const limit = offsite.rows.find((r) => r.method === o.vsLimit?.method);
    if (limit) rows.push(row(`offsite ${o.method} vs ${limit.method.replace(/^limit: /, '')}`, o.seconds * 1000, limit.seconds * 1000));
  }
  tables.push(`### Offsite copy (${quick ? '4 × 16 MiB, 3 rounds' : '4 × 64 MiB, 5 rounds'})\n\n${offsiteTable(offsite)}`);

  progress('Slack ack latency, 50 concurrent');
  const acks = await benchSlackAck({ quiet: true });
  for (const a of acks) rows.push(row(`ack p99: ${a.name} (reference: the 100 ms goal)`, a.p99Ms, ACK_GOAL_S * 1000));
  tables.push(`### Slack acks, the Slack surface alone (p99 against the 100 ms goal)\n\n| surface | n | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|\n${acks.map((a) => `| ${a.name} | ${a.n} | ${a.p50Ms.toFixed(1)} | ${a.p99Ms.toFixed(1)} | ${a.maxMs.toFixed(1)} |`).join('\n')}\n`);

  progress('/backup status, 50 at once, whole bot (startBot with queue, workers and stores live), 3 rounds');
  const live = await benchSlackAckLive({ rounds: 3, quiet: true });
  rows.push(row('ack p99: /backup status, 50 at once, whole bot (reference: the 100 ms goal)', live.ack.p99Ms, ACK_GOAL_S * 1000));
  rows.push(row('status reply p99: /backup status, 50 at once, whole bot (sent → reply at Slack)', live.reply.p99Ms, undefined));
  const cells = (x: Stats): string => `${x.p50Ms.toFixed(1)} / ${x.p99Ms.toFixed(1)} / ${x.maxMs.toFixed(1)}`;
  const liveRows = live.rounds.map((r, i) => `| ${i + 1} | ${cells(r.ack)} | ${cells(r.reply)} | ${cells(r.floor)} | ${r.load1.toFixed(2)} |`);
  tables.push(
    `### \`/backup status\`, 50 at once, whole bot (${live.manifests} manifests on disk)\n\n| round | ack p50 / p99 / max ms | reply p50 / p99 / max ms | bare HTTP server, same burst | load (1 min) |\n|---|---|---|---|---:|\n${liveRows.join('\n')}\n| median | ${cells(live.ack)} | ${cells(live.reply)} | ${cells(live.floor)} | |\n`,
  );

  progress(`restore end-to-end (Slack approvals, real swarm), scales ${scales.join(', ')}`);
  const e2e: E2eResult[] = [];
  for (const scale of scales) e2e.push(await benchRestoreE2e({ scale }));
  for (const r of e2e) rows.push(row(`restore end-to-end, second approval → migrations Done (scale ${r.scale})`, r.totalMs, undefined));
  tables.push(`### Restore end to end: second approval → Migrations: Done, by step\n\n${e2eTable(e2e)}`);

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
