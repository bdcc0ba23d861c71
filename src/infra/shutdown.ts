/**
 * Two-speed shutdown: the first SIGINT/SIGTERM aborts the returned signal so workflows drain to a
 * transaction boundary; a second one exits at once (main.ts is still the one that exits).
 */
export interface Shutdown {
  signal: AbortSignal;
  dispose(): void;
}

export function installShutdown(onSecond: () => void): Shutdown {
  const ac = new AbortController();
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      process.stderr.write(`\nreceived ${sig}: finishing the current transaction and stopping (send again to stop now)\n`);
      ac.abort(new Error(`received ${sig}`));
    } else onSecond();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: ac.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/** Resolves after ms, or early (without throwing) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
