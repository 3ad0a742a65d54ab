/**
 * Each run's figures, written to InfluxDB (METRICS_DATABASE, default crvs_backup, created when
 * missing) so a deployment's dashboards can chart them: per store bytes, records and seconds of a
 * backup; per store seconds of a drill; each run's outcome. Writes use @influxdata/influxdb-client
 * through InfluxDB 1.8's v2-compatible /api/v2/write (token `user:password`, bucket `<db>/autogen`).
 * Writing metrics never fails a run: every error is logged and swallowed by the caller's catch.
 */
import { InfluxDB, Point } from '@influxdata/influxdb-client';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { userMessage } from '../errors.ts';
import { influxHttpFor, quoteIdent } from '../stores/influxdb/http.ts';
import type { PipelineResult } from '../pipeline/types.ts';
import type { DrillResult } from './types.ts';

/** One night's figures, as the report's trend chart reads them. */
export interface NightFigures {
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  setBytes?: number;
  backupSeconds?: number;
  drillSeconds?: number;
}

export interface MetricsWriter {
  backup(r: PipelineResult): Promise<void>;
  drill(r: DrillResult): Promise<void>;
  /** The last `nights` nights, oldest first, one entry per night (gaps have no figures). */
  nights(nights: number, now?: Date): Promise<NightFigures[]>;
  close(): Promise<void>;
}

const NONE: MetricsWriter = { backup: async () => undefined, drill: async () => undefined, nights: async () => [], close: async () => undefined };

export function createMetricsWriter(config: Config, logger: Logger): MetricsWriter {
  if (config.env.METRICS === 'off') return NONE;
  const db = config.env.METRICS_DATABASE;
  const http = influxHttpFor(config);
  const token = config.influx.username !== undefined ? `${config.influx.username}:${config.influx.password ?? ''}` : '';
  const client = new InfluxDB({ url: config.influx.url, token, timeout: config.connectTimeoutMs });
  let created = false;

  async function write(points: Point[]): Promise<void> {
    if (!created) {
      // CREATE DATABASE is idempotent in InfluxDB 1.x.
      await http.query(`CREATE DATABASE ${quoteIdent(db)}`, { write: true });
      created = true;
    }
    const api = client.getWriteApi('', `${db}/autogen`, 'ms', { maxRetries: 0, flushInterval: 0 });
    api.writePoints(points);
    await api.close();
  }

  async function safe(what: string, points: () => Point[]): Promise<void> {
    try {
      await write(points());
    } catch (err) {
      logger.warn({ what, err: userMessage(err) }, 'metrics not written (the run itself is unaffected)');
    }
  }

  return {
    backup: (r) =>
      safe('backup', () => {
        const at = new Date(r.finishedAt);
        const run = new Point('backup_run')
          .tag('outcome', r.outcome)
          .intField('bytes', r.stores.reduce((n, s) => n + s.bytes, 0))
          .intField('records', r.stores.reduce((n, s) => n + s.records, 0))
          .floatField('seconds', (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000)
          .stringField('label', r.label ?? '')
          .timestamp(at);
        const stores = r.stores.map((s) =>
          new Point('backup_store').tag('store', s.store).tag('ok', String(s.ok)).intField('bytes', s.bytes).intField('records', s.records).floatField('seconds', s.durationMs / 1000).timestamp(at),
        );
        return [run, ...stores];
      }),
    drill: (r) =>
      safe('drill', () => {
        const at = new Date(r.finishedAt);
        const run = new Point('drill_run').tag('outcome', r.outcome).floatField('seconds', r.durationMs / 1000).stringField('label', r.label ?? '').timestamp(at);
        const stores = r.stores.map((s) =>
          new Point('drill_store').tag('store', s.store).tag('ok', String(s.ok)).intField('records', s.records).floatField('seconds', s.durationMs / 1000).timestamp(at),
        );
        return [run, ...stores];
      }),
    async nights(nights, now = new Date()) {
      const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + 86_400_000;
      const start = end - nights * 86_400_000;
      const days: NightFigures[] = [];
      for (let t = start; t < end; t += 86_400_000) days.push({ day: new Date(t).toISOString().slice(0, 10) });
      const byDay = new Map(days.map((d) => [d.day, d]));
      const range = `time >= ${start}ms AND time < ${end}ms`;
      const read = async (q: string, set: (d: NightFigures, values: unknown[]) => void): Promise<void> => {
        for (const s of await http.query(q, { db })) {
          for (const v of s.values ?? []) {
            const d = byDay.get(String(v[0]).slice(0, 10));
            if (d) set(d, v);
          }
        }
      };
      try {
        await read(`SELECT last("bytes"), last("seconds") FROM "backup_run" WHERE ${range} GROUP BY time(1d) fill(none)`, (d, v) => {
          if (typeof v[1] === 'number') d.setBytes = v[1];
          if (typeof v[2] === 'number') d.backupSeconds = v[2];
        });
        await read(`SELECT last("seconds") FROM "drill_run" WHERE ${range} AND "outcome" = 'ok' GROUP BY time(1d) fill(none)`, (d, v) => {
          if (typeof v[1] === 'number') d.drillSeconds = v[1];
        });
      } catch (err) {
        logger.warn({ err: userMessage(err) }, 'metrics not read (the report shows no trend)');
      }
      return days;
    },
    close: async () => undefined,
  };
}
