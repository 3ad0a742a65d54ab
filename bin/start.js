#!/usr/bin/env node
// `npm start`: the bot on Slack when SLACK_BOT_TOKEN is set, otherwise the local console
// (src/console/start.ts), run through tsx like bin/crvs-backup.js (no build step).
import { withNodeFlags } from './node-flags.js';

withNodeFlags();
const { register } = await import('tsx/esm/api');

register();
const { main, fail } = await import('../src/console/start.ts');
await main(process.argv.slice(2)).catch(fail);
