/**
 * Plays the OpenCRVS migration service for a rehearsed restore: after the stand-in `docker stack
 * deploy` (a new `deployed` stamp in the stand-in's state folder), it applies a few migrations —
 * one `changelog` document at a time, as migrate-mongo does — then marks the service Complete.
 * The bot's migration watcher sees the counts grow and then "Complete", exactly as in production.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';

export interface MigrationPlayerOptions {
  stateDir: string;
  mongoUrl: string;
  /** Databases that receive the migrations (the first few with a changelog). */
  databases: string[];
  /** Pause before the first migration, and between two (default 2 s). */
  stepMs?: number;
  /** Migrations applied per rehearsal (default 4). */
  migrations?: number;
  onError?: (message: string) => void;
  /** Applies one more migration elsewhere too (v1.9+: a row of PostgreSQL's `app.pgmigrations`). */
  alsoApply?: (name: string) => Promise<void>;
}

export interface MigrationPlayer {
  stop(): Promise<void>;
}

function readStamp(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  return readFileSync(file, 'utf8').trim() || undefined;
}

export function startMigrationPlayer(opts: MigrationPlayerOptions): MigrationPlayer {
  const stepMs = opts.stepMs ?? 2000;
  const total = opts.migrations ?? 4;
  const client = new MongoClient(opts.mongoUrl, { serverSelectionTimeoutMS: 10_000 });
  const deployedFile = join(opts.stateDir, 'deployed');
  // A deploy that happened before the console started is not replayed.
  let played = readStamp(deployedFile);
  let stopped = false;
  let busy = false;

  async function play(stamp: string): Promise<void> {
    for (let i = 0; i < total && !stopped; i++) {
      await new Promise((r) => setTimeout(r, stepMs));
      // A newer deploy (or a stack down) replaces this run.
      if (readStamp(deployedFile) !== stamp) return;
      const db = opts.databases[i % opts.databases.length] as string;
      await client
        .db(db)
        .collection('changelog')
        .insertOne({ fileName: `${stamp}-rehearsal-migration-${i + 1}.js`, appliedAt: new Date(), rehearsal: true });
      await opts.alsoApply?.(`${stamp}_rehearsal-migration-${i + 1}`);
    }
    await new Promise((r) => setTimeout(r, stepMs));
    if (!stopped && readStamp(deployedFile) === stamp) writeFileSync(join(opts.stateDir, 'complete'), `${stamp}\n`);
  }

  const timer = setInterval(() => {
    if (busy || stopped) return;
    const stamp = readStamp(deployedFile);
    if (!stamp || stamp === played) return;
    played = stamp;
    busy = true;
    play(stamp)
      .catch((err: unknown) => opts.onError?.(err instanceof Error ? err.message : String(err)))
      .finally(() => {
        busy = false;
      });
  }, 500);

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await client.close().catch(() => undefined);
    },
  };
}
