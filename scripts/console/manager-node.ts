/**
 * The console's REHEARSAL manager node: the harness sshd with a stand-in `docker` and `service`
 * first on its PATH (rehearsal-docker.sh), so a restore rehearsed in the console runs its real
 * redeploy steps over SSH and its real migration watch, against something that runs no container.
 * The migration player (migration-player.ts) plays the migration service's part in MongoDB.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../../src/config.ts';
import { createExecutor } from '../../src/exec/index.ts';

const SOURCE = join(import.meta.dirname, 'rehearsal-docker.sh');
const NAMES = ['docker', 'service'] as const;
/** In the stand-in's header: tells ours apart from a test's fake. */
const MARK = 'REHEARSAL STAND-IN';

/** The stand-in as installed: where it lives and where it keeps its state. */
export interface RehearsalManager {
  binDir: string;
  stateDir: string;
  /** (Re)writes the stand-ins; cheap, so it is done again before each rehearsed restore. */
  install(): void;
  /** Removes the stand-ins, unless something else has replaced them meanwhile. */
  remove(): void;
  /** Proves over SSH that the manager node runs the stand-ins, not some other `docker`. */
  check(): Promise<void>;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The stand-in for the manager node of `config` (its key file sits in the sshd data folder). */
export function rehearsalManager(config: Config, stateDir: string): RehearsalManager {
  const manager = config.manager;
  if (!manager) throw new Error('the harness sshd is not configured (MANAGER_HOST missing from .services/env)');
  const binDir = join(dirname(manager.keyFile), 'bin');
  return {
    binDir,
    stateDir,
    install() {
      mkdirSync(binDir, { recursive: true });
      mkdirSync(stateDir, { recursive: true });
      const script = readFileSync(SOURCE, 'utf8').replace('__STATE_DIR__', shellQuote(stateDir));
      for (const name of NAMES) {
        // Written to a temporary name and renamed: a command running right now never sees half a file.
        const tmp = join(binDir, `.${name}.console-tmp`);
        writeFileSync(tmp, script);
        chmodSync(tmp, 0o755);
        renameSync(tmp, join(binDir, name));
      }
    },
    remove() {
      for (const name of NAMES) {
        const file = join(binDir, name);
        if (existsSync(file) && readFileSync(file, 'utf8').includes(MARK)) rmSync(file, { force: true });
      }
    },
    async check() {
      const exec = createExecutor({ kind: 'ssh', ...manager });
      const res = await exec.run(['sh', '-c', 'command -v docker && docker info --format x'], { timeoutMs: 20_000 });
      const [path, answer] = res.stdout.trim().split('\n');
      if (path !== join(binDir, 'docker') || answer !== 'rehearsal-stand-in') {
        throw new Error(`the manager node (harness sshd) does not run the rehearsal docker stand-in: ${res.stdout.trim()}`);
      }
    },
  };
}
