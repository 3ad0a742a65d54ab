/**
 * Names of the drill's scratch targets, and the guard that keeps them apart from live data: a
 * scratch name is derived from a live name by a fixed prefix, and refused when it equals any name
 * configured as live (a deployment may well have a live database literally called `drill_x`).
 */
import { BotError } from '../errors.ts';
import type { StoreName } from '../stores/types.ts';

/** The prefix of every scratch name, per store (Elasticsearch index names cannot hold `_` first… and are lower case). */
export const SCRATCH_PREFIX: Record<StoreName, string> = {
  mongo: 'drill_',
  postgres: 'drill_',
  elasticsearch: 'drill-',
  influxdb: 'drill_',
  minio: 'drill-',
  folders: 'drill-',
};

/** A scratch name would be, or would hold, live data: the drill refuses to run. */
export class ScratchNameError extends BotError {
  constructor(store: StoreName, name: string) {
    super('drill_scratch_name', `The drill's scratch ${store} target "${name}" is also a configured live name: the drill refuses to run (rename it or take ${store} out of the drill).`);
  }
}

/** The scratch name for a live name; throws ScratchNameError when it is one of the live names. */
export function scratchName(store: StoreName, live: string, liveNames: readonly string[]): string {
  const name = `${SCRATCH_PREFIX[store]}${live}`;
  if (liveNames.includes(name)) throw new ScratchNameError(store, name);
  return name;
}

/**
 * Whether `name`, found on a server, is a drill's leftover that may be removed: it has the scratch
 * prefix and is not a configured live name (never removed, whatever it is called).
 */
export function isLeftover(store: StoreName, name: string, liveNames: readonly string[]): boolean {
  return name.startsWith(SCRATCH_PREFIX[store]) && !liveNames.includes(name);
}
