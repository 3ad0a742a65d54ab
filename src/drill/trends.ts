/** The trend chart of the daily report and the console: 14 nights of set size, backup and drill time. */
import { formatBytesShort } from '../report/format.ts';
import type { NightFigures } from './metrics.ts';
import { sparkline, weekChange } from './sparkline.ts';

function row(name: string, values: Array<number | undefined>, show: (v: number) => string): string | undefined {
  if (values.every((v) => v === undefined)) return undefined;
  const last = [...values].reverse().find((v) => v !== undefined);
  const change = weekChange(values);
  return `${name.padEnd(12)} ${sparkline(values)}  ${last === undefined ? '' : show(last)}${change ? ` (${change})` : ''}`;
}

const minutes = (s: number): string => (s < 60 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`);

/** Text lines (monospace), one per measure with any figure; [] when there are none yet. */
export function trendLines(nights: NightFigures[]): string[] {
  const lines = [
    row('Set size', nights.map((n) => n.setBytes), formatBytesShort),
    row('Backup time', nights.map((n) => n.backupSeconds), minutes),
    row('Drill time', nights.map((n) => n.drillSeconds), minutes),
  ];
  return lines.filter((l): l is string => l !== undefined);
}
