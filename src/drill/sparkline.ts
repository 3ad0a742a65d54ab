/** Text sparklines for the report and the console: one character per night, gaps shown as a space. */

const BARS = '▁▂▃▄▅▆▇█';

/** One bar per value (undefined = no run that night, shown as a space); scaled between min and max. */
export function sparkline(values: ReadonlyArray<number | undefined>): string {
  const known = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  if (known.length === 0) return ' '.repeat(values.length);
  const min = Math.min(...known);
  const max = Math.max(...known);
  return values
    .map((v) => {
      if (v === undefined || !Number.isFinite(v)) return ' ';
      if (max === min) return BARS[3];
      return BARS[Math.round(((v - min) / (max - min)) * (BARS.length - 1))];
    })
    .join('');
}

/**
 * The change of the latest value against the one seven nights before it, e.g. `+12 % vs last week`;
 * undefined when either night has no value.
 */
export function weekChange(values: ReadonlyArray<number | undefined>): string | undefined {
  const last = values.length - 1;
  const now = values[last];
  const before = values[last - 7];
  if (now === undefined || before === undefined) return undefined;
  if (before === 0) return now === 0 ? '±0 % vs last week' : undefined;
  const pct = ((now - before) / before) * 100;
  const rounded = Math.round(pct);
  return `${rounded > 0 ? '+' : rounded < 0 ? '−' : '±'}${Math.abs(rounded)} % vs last week`;
}
