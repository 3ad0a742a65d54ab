// The V8 flags every process of the bot runs with — the bot (bin/start.js), the CLI
// (bin/crvs-backup.js) and the benchmark's child processes — defined here only.
//
// --max-semi-space-size=2 caps V8's young generation (2 MiB per semi-space). By default V8 grows
// it with the allocation rate, to ~30 MiB after start-up and ~50 MiB while an archive streams
// through; and the buffers of a stream that died young are only given back when it is collected,
// so the peak memory of a backup, verification or restore rose with the size of the data. It caps
// nothing that can run out: an object that outlives two scavenges moves to the old generation,
// whose limit (V8's default, sized from the machine's memory) is untouched; the cost is more,
// shorter scavenges (bench/README.md, "Stores": the time measured with and without it).
export const NODE_FLAGS = ['--max-semi-space-size=2'];

/**
 * Restarts this process with NODE_FLAGS when it was started without them — same process id, same
 * arguments, environment and open descriptors (process.execve) — so `node bin/start.js`, the npm
 * bin and a container's CMD all get them. Call it first, before anything is loaded or printed.
 * Where process.execve does not exist (Node < 22.15) the process simply runs on without them, as
 * it does with CRVS_NODE_FLAGS=none.
 */
export function withNodeFlags() {
  // Only to measure the difference they make (bench/stores.ts --no-node-flags).
  if (process.env.CRVS_NODE_FLAGS === 'none') return;
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const missing = NODE_FLAGS.filter((flag) => !given.some((g) => g.split('=')[0] === flag.split('=')[0]));
  if (missing.length === 0 || typeof process.execve !== 'function') return;
  process.execve(process.execPath, [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)], process.env);
}
