/**
 * InfluxDB scratch target: the adapter's own restore (`influxd restore -portable -db <db> -newdb
 * drill_<db>`, through the exec layer where INFLUX_EXEC says) run against a configuration whose
 * database is the scratch one, so the drop it starts with can only touch the scratch database. Its
 * series and points per measurement are compared with the counts the set recorded, then it is dropped.
 */
import type { Config } from '../../config.ts';
import { userMessage } from '../../errors.ts';
import { createLogger } from '../../log.ts';
import { createInfluxAdapter } from '../../stores/influxdb/adapter.ts';
import { influxHttpFor, quoteIdent } from '../../stores/influxdb/http.ts';
import { recordCount } from '../../stores/counts.ts';
import type { Artifact } from '../../stores/types.ts';
import { scratchName } from '../scratch-names.ts';
import type { DrillContext, DrillTarget } from '../types.ts';

export function createInfluxTarget(config: Config): DrillTarget {
  // The bot's own metrics database is live data too.
  const live = [config.influx.database, config.env.METRICS_DATABASE];
  const scratchOf = (db: string): string => scratchName('influxdb', db, live);
  const http = influxHttpFor(config);
  const exists = async (db: string): Promise<boolean> => (await http.query('SHOW DATABASES')).some((s) => (s.values ?? []).some((v) => String(v[0]) === db));
  const drop = (db: string): Promise<unknown> => http.query(`DROP DATABASE ${quoteIdent(db)}`, { write: true, long: true });
  return {
    store: 'influxdb',
    checkNames() {
      scratchOf(config.influx.database);
    },
    neededBytes(artifacts, factor) {
      return artifacts.reduce((n, a) => n + a.bytes, 0) * factor;
    },
    space: async () => undefined,
    async removeLeftovers() {
      const name = scratchOf(config.influx.database);
      if (!(await exists(name))) return [];
      await drop(name);
      return [`influxdb ${name}`];
    },
    async drill(artifacts: Artifact[], ctx: DrillContext) {
      const scratch = scratchOf(config.influx.database);
      const scratchConfig: Config = { ...config, influx: { ...config.influx, database: scratch } };
      const adapter = createInfluxAdapter(scratchConfig, createLogger('silent'));
      const bytes = artifacts.reduce((n, a) => n + a.bytes, 0);
      try {
        const counts = await adapter.restore(artifacts, { label: ctx.label, root: ctx.root, signal: ctx.signal, progress: () => undefined });
        return { ok: true, records: recordCount('influxdb', counts), bytes, compared: 'counts' as const };
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        return { ok: false, records: 0, bytes, compared: 'counts' as const, difference: userMessage(err).replaceAll(scratch, config.influx.database) };
      } finally {
        await drop(scratch).catch(() => undefined);
        await adapter.close();
      }
    },
    close: async () => undefined,
  };
}
