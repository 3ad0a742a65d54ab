/** The dead-man alert message (pure). */
import type { SlackMessage } from '../report/blocks.ts';
import { oncallMention, slackDate } from '../report/format.ts';

export function buildDeadmanAlert(a: {
  lastComplete: { label: string; finishedAt: string } | undefined;
  now: string;
  maxAgeMs: number;
  oncallGroup: string | undefined;
  timeZone: string;
}): SlackMessage {
  const hours = Math.round(a.maxAgeMs / 3600_000);
  const mention = oncallMention(a.oncallGroup);
  const since = a.lastComplete
    ? `The last complete backup set is \`${a.lastComplete.label}\`, finished ${slackDate(a.lastComplete.finishedAt, a.timeZone)} (${Math.floor((Date.parse(a.now) - Date.parse(a.lastComplete.finishedAt)) / 3600_000)} h ago).`
    : 'There is no complete backup set at all.';
  const text = `${mention ? `${mention} ` : ''}:rotating_light: No complete backup in the last ${hours} h. ${since}`;
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: 'Check the last backup report and its thread, or start a backup now. This alert is posted once until a complete set exists again.' }],
      },
    ],
  };
}
