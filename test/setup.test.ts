/**
 * `npm start` and `npm test` begin with scripts/setup.sh: when everything is installed (as it is
 * once the suite runs) it installs nothing, says so in one line and is quick; and scripts/node.sh
 * puts Node.js 24 first unless told to keep the node on PATH.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

describe('setup', () => {
  it('installs nothing when everything is there, in one line, quickly; a second run likewise', () => {
    for (let i = 0; i < 2; i++) {
      const started = Date.now();
      const r = spawnSync('bash', ['scripts/setup.sh'], { cwd: ROOT, encoding: 'utf8' });
      const ms = Date.now() - started;
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).not.toContain('installing');
      expect(r.stderr.trim()).toMatch(/^setup: system and npm packages ready in \d+ ms \(Node\.js v\d+\.\d+\.\d+\)$/);
      expect(ms).toBeLessThan(10_000);
    }
  });

  it('node.sh: Node.js 24 first on PATH, or the node on PATH with CRVS_NODE=system', () => {
    const version = (env: Record<string, string>): string =>
      spawnSync('bash', ['-c', '. scripts/node.sh && node --version'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } }).stdout.trim();
    expect(version({ CRVS_NODE: '24' })).toMatch(/^v24\./);
    expect(version({ CRVS_NODE: 'system' })).toBe(spawnSync('node', ['--version'], { encoding: 'utf8' }).stdout.trim());
  });
});
