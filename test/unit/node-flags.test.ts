/**
 * bin/node-flags.js: every process of the bot restarts itself with these flags, so one the running
 * Node does not know would stop the bot at start ("bad option") instead of tuning it.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MALLOC_SETTINGS, NODE_FLAGS } from '../../bin/node-flags.js';

describe('the bot\'s start-up flags', () => {
  it('are all accepted by the Node that runs the bot, and a process started with them sees them', () => {
    expect(NODE_FLAGS.length).toBeGreaterThan(0);
    const seen = execFileSync(process.execPath, [...NODE_FLAGS, '-e', 'process.stdout.write(JSON.stringify(process.execArgv))'], {
      env: { ...process.env, ...MALLOC_SETTINGS, NODE_OPTIONS: '' },
      encoding: 'utf8',
    });
    expect((JSON.parse(seen) as string[]).slice(0, NODE_FLAGS.length)).toEqual(NODE_FLAGS);
  });
});
