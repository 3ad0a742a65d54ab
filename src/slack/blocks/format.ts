/** Small text helpers shared by the Block Kit builders (pure). */

/** "4 min", "3 h 12 min", "2 d 4 h". */
export function formatAge(ms: number): string {
  const min = Math.max(0, Math.floor(ms / 60_000));
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d} d` : `${d} d ${h % 24} h`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i += 1;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function formatCount(n: number | undefined): string {
  return n === undefined ? 'unknown' : n.toLocaleString('en-US');
}

/** `<@U1>, <@U2>` or `nobody`. */
export function mentions(users: string[]): string {
  return users.length === 0 ? 'nobody' : users.map((u) => `<@${u}>`).join(', ');
}

/** Slack's date token, which each reader sees in their own time zone; `fallback` for clients that cannot. */
export function slackDate(ms: number): string {
  const iso = new Date(ms).toISOString().replace('T', ' ').slice(0, 16);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${iso} UTC>`;
}

/** Where a backup set is, in words ("both" alone does not say both of what). */
export function whereSet(location: 'local' | 'remote' | 'both'): string {
  return { local: 'here only', remote: 'on the backup server only', both: 'here and on the backup server' }[location];
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
