/**
 * Start-up round trips that do not depend on each other overlap: each is started at once and awaited where its
 * result is needed, in the order the steps used to run one after another, so the first failure a user sees is
 * the same as before. Until it is awaited, a failure does not count as an unhandled rejection (the process
 * would end); a failure that is never awaited (an earlier step failed) is dropped.
 */
export function startEarly<T>(work: () => Promise<T>): Promise<T> {
  const started = (async () => work())();
  started.catch(() => undefined);
  return started;
}
