#!/usr/bin/env node
// Runs the TypeScript CLI through tsx (no build step).
import { withNodeFlags } from './node-flags.js';

withNodeFlags();
const { register } = await import('tsx/esm/api');

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
// A client library that keeps a socket open must not keep the CLI alive after it is done.
setTimeout(() => process.exit(process.exitCode ?? 0), 3000).unref();
