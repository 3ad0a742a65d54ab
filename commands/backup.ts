/**
 * /backup [label] | status | list | history | help
 * Acks at once, then: authorize, post the root message, enqueue. The job turns that message into
 * the report (or, when SLACK_CHANNEL is another channel, points it there) and details its thread.
 */
import type { App, RespondFn, SlashCommand } from '@slack/bolt';
import { backupEnqueueFailed, backupHelp, backupQueuedRoot, historyMessage, listMessage, plain, refusal, statusMessage } from '../src/slack/blocks/backup.ts';
import type { SlackDeps } from '../src/slack/deps.ts';
import { errText } from '../src/slack/deps.ts';
import { afterPendingAcks, ephemeral, guarded } from '../src/slack/reply.ts';

export const name = '/backup';

/** Labels become file and snapshot names: keep them plain. */
export const LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SUBCOMMANDS = ['status', 'list', 'history', 'help'] as const;
type Sub = (typeof SUBCOMMANDS)[number];

function isSub(s: string): s is Sub {
  return (SUBCOMMANDS as readonly string[]).includes(s);
}

/** Edit distance, to catch `/backup stauts` before it becomes a backup labelled "stauts". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const row = [i];
    for (let j = 1; j <= b.length; j += 1) {
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** The sub-command a word is probably a typo of, if any. */
export function likelyTypo(word: string): Sub | undefined {
  const w = word.toLowerCase();
  return SUBCOMMANDS.find((s) => w !== s && distance(w, s) <= 2 && /^[a-z]+$/i.test(word));
}

/**
 * What the user typed, shown back inside inline code: bounded (Slack refuses a section over 3000
 * characters) and without backticks or newlines, which would break out of the code span.
 */
export function echo(text: string): string {
  const flat = text.trim().replace(/[`\r\n]+/g, ' ');
  return flat.length > 80 ? `${flat.slice(0, 79)}…` : flat;
}

/** Today's date as YYYY-MM-DD in the backup time zone: the default label. */
export function defaultLabel(timeZone: string, now: number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

async function runSub(sub: Sub, command: SlashCommand, respond: RespondFn, deps: SlackDeps): Promise<string> {
  if (sub === 'help') {
    await ephemeral(respond, backupHelp());
    return 'shown';
  }
  const user = command.user_id;
  if (!(await deps.roles.has(user, 'operator')) && !(await deps.roles.has(user, 'approver'))) {
    await ephemeral(respond, refusal(`/backup ${sub}`, 'operator'));
    return 'refused: not an operator or approver';
  }
  if (sub === 'status') await ephemeral(respond, statusMessage(await deps.core.status(), deps.now()));
  if (sub === 'list') await ephemeral(respond, listMessage(await deps.core.listSets()));
  if (sub === 'history') await ephemeral(respond, historyMessage(await deps.core.history(10)));
  return 'shown';
}

async function runBackup(label: string | undefined, command: SlashCommand, respond: RespondFn, deps: SlackDeps): Promise<string> {
  const user = command.user_id;
  if (!(await deps.roles.has(user, 'operator'))) {
    await ephemeral(respond, refusal('Starting a backup', 'operator'));
    return 'refused: not an operator';
  }
  const shown = label ?? defaultLabel(deps.config.timeZone, deps.now());
  const root = await deps.client.chat.postMessage({ channel: command.channel_id, ...backupQueuedRoot(shown, user, { channel: command.channel_id, reportChannel: deps.config.slack.channel }) });
  if (!root.ts) throw new Error('Slack did not return the message timestamp');
  try {
    const { jobId } = await deps.core.enqueueBackup({ label, requestedBy: user, report: { channel: command.channel_id, threadTs: root.ts } });
    return `queued ${jobId}`;
  } catch (err) {
    await deps.client.chat.update({ channel: command.channel_id, ts: root.ts, ...backupEnqueueFailed(shown, errText(err)) });
    throw err;
  }
}

/** `/backup drill [label]`: a restore drill into scratch targets (operators), reported in the request's thread. */
async function runDrill(label: string | undefined, command: SlashCommand, respond: RespondFn, deps: SlackDeps): Promise<string> {
  const user = command.user_id;
  if (!(await deps.roles.has(user, 'operator'))) {
    await ephemeral(respond, refusal('Starting a restore drill', 'operator'));
    return 'refused: not an operator';
  }
  const shown = label ?? 'the newest complete set';
  const root = await deps.client.chat.postMessage({ channel: command.channel_id, text: `:test_tube: Restore drill of ${shown} queued by <@${user}>: it restores into scratch copies beside the live data, compares, and removes them. Live data is not touched.` });
  if (!root.ts) throw new Error('Slack did not return the message timestamp');
  const { jobId } = await deps.core.enqueueBackup({ ...(label ? { label } : {}), requestedBy: user, report: { channel: command.channel_id, threadTs: root.ts }, drill: true });
  return `queued ${jobId}`;
}

async function handle(command: SlashCommand, respond: RespondFn, deps: SlackDeps): Promise<void> {
  const words = command.text.trim().split(/\s+/).filter((w) => w !== '');
  const first = words[0];
  let outcome: string;
  if (first === 'drill' && words.length <= 2 && (words[1] === undefined || LABEL.test(words[1]))) {
    outcome = await runDrill(words[1], command, respond, deps);
  } else if (words.length > 1 || (first !== undefined && !isSub(first) && !LABEL.test(first))) {
    await ephemeral(respond, plain(`:question: \`/backup ${echo(command.text)}\` is not something I understand. A label is one word of letters, digits, \`.\`, \`_\` or \`-\`.\n${backupHelp().text}`));
    outcome = 'refused: bad input';
  } else if (first !== undefined && likelyTypo(first)) {
    await ephemeral(respond, plain(`:question: Did you mean \`/backup ${likelyTypo(first)}\`? Nothing was started. To use \`${first}\` as a label, add a digit or a dash (e.g. \`${first}-1\`).`));
    outcome = 'refused: likely typo';
  } else if (first !== undefined && isSub(first)) {
    outcome = await runSub(first, command, respond, deps);
  } else {
    outcome = await runBackup(first, command, respond, deps);
  }
  await deps.audit.append({ user: command.user_id, action: `/backup ${command.text.trim()}`.trim(), outcome });
}

export function register(app: App, deps: SlackDeps): void {
  app.command(name, async ({ command, ack, respond }) => {
    await ack();
    await afterPendingAcks();
    await guarded(deps.logger, name, (text) => respond({ response_type: 'ephemeral', text }), async () => {
      try {
        await handle(command, respond, deps);
      } catch (err) {
        await deps.audit.append({ user: command.user_id, action: `/backup ${command.text.trim()}`.trim(), outcome: 'error', detail: errText(err) });
        throw err;
      }
    });
  });
}
