/** Small pure formatters for reports (sizes, durations, percentages, times in the deployment's zone). */

export function formatBytesShort(b: number): string {
  if (b < 1000) return `${b} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = b / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** "+3 %", "−25 %", "±0 %". */
export function formatChange(percent: number): string {
  const rounded = Math.round(percent);
  if (rounded === 0) return '±0 %';
  return rounded > 0 ? `+${rounded} %` : `−${Math.abs(rounded)} %`;
}

/** "2026-11-27 00:00 Africa/Kampala": the wall time in the deployment's zone. */
export function formatTimeInZone(iso: string, timeZone: string): string {
  const d = new Date(iso);
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(d);
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '00';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')} ${timeZone}`;
}

/** A Slack date token: each reader sees it in their own zone; the fallback is the deployment's. */
export function slackDate(iso: string, timeZone: string): string {
  const secs = Math.floor(new Date(iso).getTime() / 1000);
  return `<!date^${secs}^{date_short_pretty} at {time}|${formatTimeInZone(iso, timeZone)}>`;
}

/** The mention of the on-call user group, when one is configured. */
export function oncallMention(groupId: string | undefined): string {
  if (!groupId) return '';
  return groupId.startsWith('<') ? groupId : `<!subteam^${groupId}>`;
}
