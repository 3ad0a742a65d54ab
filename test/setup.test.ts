/**
 * `npm start` and `npm test` begin with scripts/setup.sh: when everything is installed (as it is
 * once the suite runs) it installs nothing and says so in one line (its time is in the README, measured,
 * not asserted: a timed test fails on a busy machine); and scripts/node.sh
 * puts Node.js 24 first unless told to keep the node on PATH.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

describe('setup', () => {
  it('installs nothing when everything is there, and says so in one line; a second run likewise', () => {
    for (let i = 0; i < 2; i++) {
      const r = spawnSync('bash', ['scripts/setup.sh'], { cwd: ROOT, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).not.toContain('installing');
      expect(r.stderr.trim()).toMatch(/^setup: system and npm packages ready in \d+ ms \(Node\.js v\d+\.\d+\.\d+\)$/);
    }
  });

  it('node.sh: Node.js 24 first on PATH, or the node on PATH with CRVS_NODE=system', () => {
    const version = (env: Record<string, string>): string =>
      spawnSync('bash', ['-c', '. scripts/node.sh && node --version'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } }).stdout.trim();
    expect(version({ CRVS_NODE: '24' })).toMatch(/^v24\./);
    expect(version({ CRVS_NODE: 'system' })).toBe(spawnSync('node', ['--version'], { encoding: 'utf8' }).stdout.trim());
  });
});
