/**
 * Concurrent calls of a read-only query share one run of it, and every caller still gets an answer
 * read after it asked: a call made while a run is under way waits for the next run, which starts
 * when the current one ends and serves every call that arrived meanwhile. Fifty `/backup status`
 * sent at once cost two reads of the queue, the lock and the manifests, not fifty, and no one is
 * shown a state older than their request.
 */
export function coalesce<T>(load: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  let next: Promise<T> | undefined;

  function start(): Promise<T> {
    next = undefined;
    const run = load();
    running = run;
    const clear = (): void => {
      if (running === run) running = undefined;
    };
    run.then(clear, clear);
    return run;
  }

  return () => {
    if (next) return next;
    if (!running) return start();
    next = running.then(start, start);
    return next;
  };
}
