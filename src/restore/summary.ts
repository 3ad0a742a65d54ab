/**
 * Text and Block Kit for the restore thread: the status message, the migration progress message,
 * the final summary and the failure report. Pure functions: data in, { text, blocks } out.
 */
import type { KnownBlock } from '@slack/types';
import { formatBytesShort, oncallMention } from '../report/format.ts';
import { recordCount } from '../stores/counts.ts';
import type { StoreName } from '../stores/types.ts';
import type { StepName, StepRecord, StepState } from './checkpoint.ts';
import { afterFailure } from './failure-advice.ts';
import type { TaskVerdict } from './migrations.ts';

export interface Message {
  text: string;
  blocks: KnownBlock[];
}

export type StoreState = 'restored' | 'not touched' | 'partially restored';

const STEP_TITLES: Record<string, string> = {
  verify: 'Check the set',
  'verify-full': 'Verify the set in full',
  'safety-backup': 'Safety backup',
  quiesce: 'Stop OpenCRVS (scale its services to 0)',
  'stack-down': 'docker stack down',
  'docker-restart': 'Restart Docker',
  deploy: 'Redeploy (FACTORY_RESET=no)',
  migrations: 'Migrations',
  reindex: 'Reindex search (events)',
};

const ICONS: Record<StepState, string> = { pending: '◻️', started: '⏳', done: '✅', failed: '❌' };

export function stepTitle(name: StepName): string {
  return name.startsWith('restore:') ? `Restore ${name.slice('restore:'.length)}` : (STEP_TITLES[name] ?? name);
}

/** "1 h 02 min", "3 min 05 s", "12 s", "0.4 s" (a short step is not shown as "0 s"). */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (ms < 100) return 'under 0.1 s';
  if (s < 10) return `${(ms / 1000).toFixed(1)} s`;
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** A Slack user id becomes a mention; anything else (cli, schedule) is shown as is. */
export function who(id: string): string {
  return /^[UW][A-Z0-9]{2,20}$/.test(id) ? `<@${id}>` : id;
}

/** The store of a `restore:<store>` step. */
function stepStore(name: StepName): StoreName {
  return name.slice('restore:'.length) as StoreName;
}

/** "hearth-dev.Patient: 300", "ocrvs.bytes: 16 MB" (MinIO keeps bucket sizes among its counts). */
function countEntry(key: string, value: number): string {
  return `${key}: ${key.endsWith('.bytes') ? formatBytesShort(value) : value.toLocaleString('en')}`;
}

function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 2900) } };
}

function context(text: string): KnownBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: text.slice(0, 2900) }] };
}

/** What each store looks like now, from the checkpoints of its restore step. */
export function storeStates(stores: StoreName[], steps: Map<StepName, StepRecord>): Array<{ store: StoreName; state: StoreState }> {
  return stores.map((store) => {
    const rec = steps.get(`restore:${store}`);
    const s = rec?.state ?? 'pending';
    const state: StoreState = s === 'done' ? 'restored' : s === 'pending' || (s === 'failed' && rec?.untouched) ? 'not touched' : 'partially restored';
    return { store, state };
  });
}

export interface StepLine {
  name: StepName;
  record: StepRecord;
}

function stepLine({ name, record }: StepLine): string {
  const took = record.state === 'done' || record.state === 'failed' ? ` — ${formatDuration(record.durationMs)}` : '';
  const counts = record.counts && record.state === 'done' && name.startsWith('restore:') ? ` (${recordCount(stepStore(name), record.counts).toLocaleString('en')} records)` : '';
  const resumed = record.attempts > 1 ? ' _(resumed after a worker restart)_' : '';
  return `${ICONS[record.state]} ${stepTitle(name)}${took}${counts}${resumed}`;
}

/** The one status message of a restore, edited as steps move on. */
export function statusMessage(input: { label: string; steps: StepLine[]; note?: string }): Message {
  const lines = input.steps.map(stepLine);
  const text = `Restore of ${input.label}\n${lines.join('\n')}`;
  const blocks: KnownBlock[] = [section(`*Restore of \`${input.label}\`*\n${lines.join('\n')}`)];
  if (input.note) blocks.push(context(input.note));
  return { text, blocks };
}

/** The one migration progress message, edited at most every N seconds. */
export function migrationProgressMessage(input: {
  service: string;
  counts: Record<string, number>;
  baseline: Record<string, number>;
  elapsedMs: number;
  verdict: TaskVerdict;
}): Message {
  const dbs = Object.keys(input.counts).sort();
  const perDb = dbs.map((db) => {
    const now = input.counts[db] ?? 0;
    const added = now - (input.baseline[db] ?? 0);
    return `• \`${db}\`: ${now} applied${added > 0 ? ` (+${added} since the restore)` : ''}`;
  });
  const { verdict } = input;
  const headline =
    verdict.kind === 'complete'
      ? 'Migrations: Done'
      : verdict.kind === 'loop'
        ? 'Migrations: restart loop — stopped waiting'
        : verdict.kind === 'failed'
          ? 'Migrations: failed'
          : verdict.kind === 'missing'
            ? 'Migrations: waiting for the service to start'
            : 'Migrations: running';
  const state = `${input.service}: ${verdict.current || 'no task yet'}${verdict.failedTasks > 0 ? ` · ${verdict.failedTasks} failed task(s)` : ''}`;
  const elapsed = `elapsed ${formatDuration(input.elapsedMs)}`;
  const body = perDb.length > 0 ? perDb.join('\n') : '_changelog not readable yet_';
  // The task state matters most when it went wrong (Failed, Rejected: "No such image", …).
  const why = verdict.kind === 'loop' || verdict.kind === 'failed' ? `\n${state}${verdict.error ? ` — ${verdict.error}` : ''}` : '';
  return {
    text: `${headline} (${elapsed})\n${body}${why}`,
    blocks: [section(`*${headline}* — ${elapsed}\n${body}`), context(state)],
  };
}

export interface SummaryInput {
  label: string;
  requestedBy: string;
  approvedBy: string[];
  safetyLabel: string | undefined;
  steps: StepLine[];
  migrations?: { counts: Record<string, number>; baseline: Record<string, number> };
  totalMs: number;
}

/** A restored store whose set recorded no binding counts (adopted legacy set, snapshot under writes). */
export const NOT_CHECKED = 'not checked: the set recorded no counts to compare';

/** The final "Done" message: duration per step, counts per store, who asked and who approved. */
export function summaryMessage(input: SummaryInput): Message {
  const people = `Requested by ${who(input.requestedBy)}, approved by ${input.approvedBy.map(who).join(', ') || 'nobody'}`;
  const steps = input.steps.map(stepLine).join('\n');
  const stores = input.steps
    .filter((s) => s.name.startsWith('restore:'))
    .map((s) => {
      const entries = Object.entries(s.record.counts ?? {}).map(([k, v]) => countEntry(k, v));
      const unchecked = s.record.note === NOT_CHECKED ? ` — _${NOT_CHECKED}_` : '';
      return `• *${stepStore(s.name)}*: ${recordCount(stepStore(s.name), s.record.counts).toLocaleString('en')} records${entries.length > 0 ? ` (${entries.slice(0, 12).join(', ')}${entries.length > 12 ? ', …' : ''})` : ''}${unchecked}`;
    });
  const migr = input.migrations
    ? Object.entries(input.migrations.counts)
        .map(([db, n]) => `${db} ${n}${n - (input.migrations?.baseline[db] ?? 0) > 0 ? ` (+${n - (input.migrations?.baseline[db] ?? 0)})` : ''}`)
        .join(', ')
    : '';
  const safety = input.safetyLabel ? `Safety backup of the data before the restore: \`${input.safetyLabel}\`` : '';
  const head = `Done: restore of ${input.label} finished in ${formatDuration(input.totalMs)}`;
  const text = [head, people, steps, 'Counts per store:', ...stores, migr ? `Migrations applied: ${migr}` : '', safety].filter((l) => l !== '').join('\n');
  const blocks: KnownBlock[] = [
    section(`*✅ ${head}*\n${people}`),
    section(`*Steps*\n${steps}`),
    section(`*Counts per store (checked against the set unless said)*\n${stores.join('\n') || '_none_'}`),
  ];
  if (migr) blocks.push(section(`*Migrations applied*: ${migr}`));
  if (safety) blocks.push(context(safety));
  return { text, blocks };
}

export interface FailureInput {
  label: string;
  step: StepName | undefined;
  error: string;
  stores: Array<{ store: StoreName; state: StoreState }>;
  safetyLabel: string | undefined;
  /** True when the job stopped before it destroyed anything. */
  refused: boolean;
  /** Who to notify: the requester, the approvers and the on-call group. */
  people: AlertPeople;
  /** What became of the application services stopped for the restore (started again or not). */
  platformNote?: string;
  /** The application services had been stopped for the restore. */
  quiesced?: boolean;
}

/** The people a failed restore concerns. */
export interface AlertPeople {
  requestedBy: string;
  approvedBy: string[];
  /** SLACK_ONCALL_GROUP (a user group id), when configured. */
  oncallGroup: string | undefined;
}

/** The mentions that make a failed restore notify someone: the on-call group, the requester, the approvers. */
export function alertLine(p: AlertPeople): string {
  const oncall = oncallMention(p.oncallGroup);
  const roles = `Requested by ${who(p.requestedBy)}, approved by ${p.approvedBy.map(who).join(', ') || 'nobody'}`;
  return oncall ? `${oncall} · ${roles}` : roles;
}

/** The failure report: the error, each store's state, the safety backup to undo with. */
export function failureMessage(input: FailureInput): Message {
  const where = input.step ? ` at step "${stepTitle(input.step)}"` : '';
  const head = input.refused ? `Restore of ${input.label} refused${where}: nothing was touched` : `Restore of ${input.label} stopped${where}`;
  const stores = input.stores.map((s) => `• *${s.store}*: ${s.state}`).join('\n');
  const safety = input.safetyLabel
    ? `Safety backup of the data as it was before: \`${input.safetyLabel}\` (restore it to undo)`
    : 'No safety backup was taken (nothing had been changed).';
  const next = afterFailure(input.step, input.refused, input.quiesced ?? false);
  const alert = alertLine(input.people);
  const platform = input.platformNote ?? '';
  const text = [head, alert, `Error: ${input.error}`, 'Stores:', stores, platform, next, safety].filter((l) => l !== '').join('\n');
  const blocks: KnownBlock[] = [section(`*❌ ${head}*\n${alert}\n${input.error}`), section(`*Stores now*\n${stores || '_none_'}`)];
  if (platform) blocks.push(section(`:octagonal_sign: ${platform}`));
  if (next) blocks.push(section(`:warning: ${next}`));
  blocks.push(context(safety));
  return { text, blocks };
}

/**
 * The report of a restore job that ended outside its own steps (the lock never came free, or an
 * unexpected error): the job is not retried, so the thread and the people concerned are told.
 */
export function abortedMessage(input: { label: string; error: string; lockBusy: boolean; people: AlertPeople }): Message {
  const head = input.lockBusy ? `Restore of ${input.label} did not start: nothing was touched` : `Restore of ${input.label} stopped unexpectedly`;
  const next = input.lockBusy
    ? 'Request it again once the other operation has finished.'
    : 'The status message above shows the last step reached; check the stores before using OpenCRVS, and request the restore again.';
  const alert = alertLine(input.people);
  return {
    text: [head, alert, `Error: ${input.error}`, next].join('\n'),
    blocks: [section(`*❌ ${head}*\n${alert}\n${input.error}`), section(`:warning: ${next}`)],
  };
}
