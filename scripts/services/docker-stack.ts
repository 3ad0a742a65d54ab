/**
 * The migration service's control files (.services/docker/control/<stack>.json): where it applies
 * migrations and how it behaves (slow, failing). The harness writes the default one for the stack
 * `opencrvs`; tests write their own through `writeMigrationControl`.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DockerPaths } from './docker-scripts.ts';

/** What test/fixtures/swarm/migrate.mjs reads. */
export interface MigrationControl {
  mongoUrl: string;
  /** Databases that get `changelog` documents (one per migration, as migrate-mongo writes them). */
  databases: string[];
  /** PostgreSQL server (database `events` gets app.pgmigrations rows); absent = MongoDB only. */
  postgresUrl?: string;
  postgresPassword?: string;
  /** Migrations to apply in each database (already applied ones are skipped). */
  migrations: number;
  /** Pause before each migration: a slow migration. */
  delayMs: number;
  /** Exit 1 after applying nothing: a failing migration (Swarm restarts it, on-failure). */
  fail: boolean;
}

const DEFAULT_DATABASES = ['hearth-dev', 'user-mgnt', 'application-config', 'performance'];

export function writeMigrationControl(controlDir: string, stack: string, control: MigrationControl): void {
  const file = join(controlDir, `${stack}.json`);
  // Holds a database password: its owner only; renamed so a running migration never reads half a file.
  writeFileSync(`${file}.tmp`, JSON.stringify(control, null, 2), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** The default control file of the stack `opencrvs`, from the harness's MongoDB and PostgreSQL. */
export function writeStackFiles(p: DockerPaths, env: Record<string, string>): void {
  const mongoUrl = env['MONGO_URL'];
  if (!mongoUrl) return;
  writeMigrationControl(p.controlDir, 'opencrvs', {
    mongoUrl,
    databases: DEFAULT_DATABASES,
    postgresUrl: env['POSTGRES_URL'],
    postgresPassword: env['POSTGRES_PASSWORD'],
    migrations: 3,
    delayMs: 200,
    fail: false,
  });
}
