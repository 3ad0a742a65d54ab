/** What every per-store seeder takes and returns. */
import type { Config } from '../../src/config.ts';

export interface SeedOptions {
  /** Size multiplier: scale 1 takes seconds; size grows linearly with it. */
  scale: number;
  /** PRNG seed: the same seed gives the same data. */
  seed: number;
}

/** Counts written, keyed like the store adapter's Artifact.counts (e.g. `hearth-dev.Patient`). */
export type SeedCounts = Record<string, number>;

export type Seeder = (config: Config, options: SeedOptions) => Promise<SeedCounts>;
