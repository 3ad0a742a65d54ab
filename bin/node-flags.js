// How every process of the bot is started — the bot (bin/start.js), the CLI (bin/crvs-backup.js)
// and the benchmark's child processes: V8 flags and glibc malloc settings, defined here only.
// Together they keep a process's peak memory nearly flat as the data it streams grows
// (bench/README.md, "Stores": measured with and without them).
//
// --max-semi-space-size=1 caps V8's young generation (1 MiB per semi-space). By default V8 grows it
// with the allocation rate, to ~30 MiB after start-up and ~50 MiB while an archive streams through,
// and the buffers of a stream that died young are only given back when it is collected: the
// bytes streamed between two scavenges stay in the process. With 2 MiB, the MinIO backup still
// held up to 20 MiB of dead HTTP body buffers at scale 10 (ArrayBuffers peaking at 44–45 MiB
// against 23 live); with 1 MiB, 11 (34), and it ran 10–25 % faster (bench/README.md, "Stores").
// --heap-growing-percent=20 starts a full collection when the old generation has grown 20 % past
// what was live after the last one, instead of V8's own factor (up to 4×, larger the less often it
// collects): a backup promotes the cursor's batches, and its old generation otherwise reached
// 55–75 MiB at scale 10 against 33 at scale 1 before V8 collected it.
// --external-memory-accounted-in-global-limit (a V8 flag, off by default in Node 24) makes V8
// count the memory outside its heap — streams' buffers — when it sets the limit for its next full
// collection. Without it, while the offsite copy streamed (ArrayBuffers 31 MiB on average, most of
// them dead and waiting for a scavenge), V8 started full collections back to back: about 40 per
// 256 MiB copied, concurrent marking taking the second core from ssh and sshd. With it, half as
// many: the copy took 25–30 % less time and CPU, for 7–22 MiB more peak RSS during it (dead
// buffers kept longer); MinIO's backup ran as fast or faster and the stores' peaks did not rise
// (bench/README.md, "Offsite", session 6).
// None of them caps anything that can run out: an object that outlives two scavenges moves to the old
// generation, whose limit (V8's default, sized from the machine's memory) is untouched, and a
// heap that really grows keeps growing — each limit is relative to what is live. The cost is more,
// shorter collections (bench/README.md, "Stores": times measured with and without them).
// A V8 flag the running Node does not know stops it at start ("bad option"): each flag is given only
// from the Node major version whose V8 has it (Node 22's V8 refuses the last one).
const SINCE_NODE = { '--external-memory-accounted-in-global-limit': 24 };
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
export const NODE_FLAGS = ['--max-semi-space-size=1', '--heap-growing-percent=20', '--external-memory-accounted-in-global-limit']
  .filter((flag) => NODE_MAJOR >= (SINCE_NODE[flag] ?? 0));

// glibc's malloc (ignored elsewhere, e.g. musl): at most 2 arenas instead of 8 per core — zlib and
// fs work on libuv's threads, each of which otherwise gets an arena of its own that keeps what it
// freed — and a fixed 128 KiB threshold above which blocks are mapped and unmapped (and freed
// memory at the top of the heap returned), instead of a threshold that rises with every large
// block freed, after which freed buffers stay in the process. Limits nothing: only where and when
// freed memory goes back. Values already set in the environment are kept. Inherited by the
// commands the bot runs (pg_dump, ssh, …), where they mean the same.
export const MALLOC_SETTINGS = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_TRIM_THRESHOLD_: '131072' };

/**
 * Restarts this process with NODE_FLAGS and MALLOC_SETTINGS when it was started without them —
 * same process id, same arguments and open descriptors (process.execve) — so `node bin/start.js`,
 * the npm bin and a container's CMD all get them. Call it first, before anything is loaded or
 * printed. Where process.execve does not exist (Node < 22.15) the process runs on without them, as
 * it does with CRVS_NODE_FLAGS=none (to measure the difference they make).
 */
export function withNodeFlags() {
  if (process.env.CRVS_NODE_FLAGS === 'none') return;
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const missing = NODE_FLAGS.filter((flag) => !given.some((g) => g.split('=')[0] === flag.split('=')[0]));
  const unset = Object.keys(MALLOC_SETTINGS).filter((k) => process.env[k] === undefined);
  if ((missing.length === 0 && unset.length === 0) || typeof process.execve !== 'function') return;
  process.execve(process.execPath, [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)], { ...MALLOC_SETTINGS, ...process.env });
}
