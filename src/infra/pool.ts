/**
 * The one bounded worker pool: parallelism is the number of worker resources (database sessions), and the
 * first failure stops the whole pool rather than leaving the other workers busy on a run that has failed.
 */
import { InternalError } from './errors.js';

/**
 * Run `work` over items taken from `next()` by `workers.length` workers, each bound to one worker resource
 * (a database session). The first failure stops the others from taking more items (they finish the item in
 * hand) and is rethrown once every worker has stopped. An abort of `signal` also stops taking items.
 *
 * `next` returning undefined means no more items for that worker (it exits); a failure of `next` counts as a
 * failure. An item `next` returns after the stop is not worked. The `stop` signal given to `work` is aborted
 * on the first failure or when `signal` aborts, so long work (a COPY) can end early. After an abort with no
 * failure the pool resolves: the caller checks `signal.aborted` to tell an interrupted run from a finished one.
 */
export async function runPool<W, T>(
  workers: readonly W[],
  next: () => Promise<T | undefined> | T | undefined,
  work: (worker: W, item: T, stop: AbortSignal) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  // No worker would take no item and report success: a caller bug, not an empty run.
  if (!workers.length) throw new InternalError('the worker pool was given no workers');
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  let failure: { error: unknown } | undefined;

  const run = async (worker: W) => {
    try {
      while (!stop.signal.aborted) {
        const item = await next();
        if (item === undefined || stop.signal.aborted) return;
        await work(worker, item, stop.signal);
      }
    } catch (e) {
      if (failure) return; // a later failure, often caused by the stop itself
      failure = { error: e };
      stop.abort(e);
    }
  };

  try {
    await Promise.all(workers.map(run));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (failure) throw failure.error;
}
