/**
 * Slack mrkdwn → HTML for the console page. Everything is HTML-escaped; only the formatting Slack
 * itself renders becomes markup: *bold*, _italic_, ~strike~, `code`, ```blocks```, > quotes,
 * <@U…> mentions, <#C…> channels, <url|label> links and :emoji: codes.
 */

/** Display names of user ids, for mentions. */
export type NameOf = (userId: string) => string | undefined;

const EMOJI: Record<string, string> = {
  white_check_mark: '✅',
  heavy_check_mark: '✔️',
  x: '❌',
  no_entry: '⛔',
  warning: '⚠️',
  rotating_light: '🚨',
  hourglass: '⌛',
  hourglass_flowing_sand: '⏳',
  heavy_minus_sign: '➖',
  question: '❓',
  lock: '🔒',
  floppy_disk: '💾',
  arrows_counterclockwise: '🔄',
  information_source: 'ℹ️',
  large_green_circle: '🟢',
  red_circle: '🔴',
  clock1: '🕐',
  tada: '🎉',
};

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Slack sends &amp; &lt; &gt; in message text; they are shown as the characters. */
function unescapeSlack(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** `<!date^1700000000^{date_short_pretty} at {time}|fallback>`, shown in this machine's time zone as Slack shows it in the reader's. */
function slackDate(target: string, fallback: string | undefined): string {
  const [, secs = '', format = ''] = target.split('^');
  const d = new Date(Number(secs) * 1000);
  if (!/^\d+$/.test(secs) || Number.isNaN(d.getTime())) return fallback ?? target;
  const day = d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });
  const tokens: Record<string, string> = {
    date_num: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
    date: day,
    date_short: day,
    date_long: d.toLocaleDateString('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }),
    date_pretty: day,
    date_short_pretty: day,
    date_long_pretty: d.toLocaleDateString('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }),
    time: `${pad(d.getHours())}:${pad(d.getMinutes())}`,
    time_secs: `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`,
  };
  return format.replace(/\{(\w+)\}/g, (m, t: string) => tokens[t] ?? m);
}

function entity(inner: string, nameOf: NameOf): string {
  const [target = '', label] = inner.split('|', 2);
  if (target.startsWith('@')) {
    const id = target.slice(1);
    return `<span class="mention">@${escapeHtml(label ?? nameOf(id) ?? id)}</span>`;
  }
  if (target.startsWith('#')) return `<span class="mention">#${escapeHtml(label ?? nameOf(target.slice(1)) ?? target.slice(1))}</span>`;
  if (target.startsWith('!date^')) return `<span class="date">${escapeHtml(slackDate(target, label))}</span>`;
  if (target.startsWith('!')) return `<span class="mention">@${escapeHtml(target.slice(1).split('^')[0] ?? '')}</span>`;
  if (/^(https?:|mailto:)/.test(target)) {
    return `<a href="${escapeHtml(target)}" target="_blank" rel="noreferrer noopener">${escapeHtml(unescapeSlack(label ?? target))}</a>`;
  }
  return escapeHtml(`<${inner}>`);
}

/** Inline formatting on already-escaped text; the \u0000 placeholders are word boundaries too. */
function inline(s: string): string {
  const before = '(^|[\\s(\\u0000~_*])';
  const after = '(?=$|[\\s.,;:!?)\\u0000~_*])';
  return s
    .replace(new RegExp(`${before}\\*([^*\\n]+?)\\*${after}`, 'g'), '$1<strong>$2</strong>')
    .replace(new RegExp(`${before}_([^_\\n]+?)_${after}`, 'g'), '$1<em>$2</em>')
    .replace(new RegExp(`${before}~([^~\\n]+?)~${after}`, 'g'), '$1<del>$2</del>');
}

/** Renders one mrkdwn string. */
export function mrkdwnToHtml(text: string, nameOf: NameOf = () => undefined): string {
  const parts: string[] = [];
  const hold = (html: string): string => `\u0000${parts.push(html) - 1}\u0000`;
  let s = text
    .replace(/```([\s\S]*?)```/g, (_m, code: string) => hold(`<pre>${escapeHtml(unescapeSlack(code.replace(/^\n/, '')))}</pre>`))
    .replace(/`([^`\n]+)`/g, (_m, code: string) => hold(`<code>${escapeHtml(unescapeSlack(code))}</code>`))
    .replace(/<([^<>\n]+)>/g, (_m, inner: string) => hold(entity(inner, nameOf)))
    .replace(/:([a-z0-9_+-]+):/g, (m, name: string) => hold(EMOJI[name] ?? escapeHtml(m)));
  s = inline(escapeHtml(unescapeSlack(s)));
  // Quotes: lines starting with "> " (escaped by now).
  const lines = s.split('\n').map((line) => (line.startsWith('&gt; ') ? `<span class="quote">${line.slice(5)}</span>` : line));
  s = lines.join('<br>');
  // Placeholders may nest (none do today), so restore until none is left.
  for (let i = 0; i < 3 && s.includes('\u0000'); i++) s = s.replace(/\u0000(\d+)\u0000/g, (_m, n: string) => parts[Number(n)] ?? '');
  return s;
}

/** Plain text (plain_text objects): escaped, emoji codes shown when Slack would (emoji: true). */
export function plainToHtml(text: string, emoji = true): string {
  const escaped = escapeHtml(text).replace(/\n/g, '<br>');
  return emoji ? escaped.replace(/:([a-z0-9_+-]+):/g, (m, name: string) => EMOJI[name] ?? m) : escaped;
}
