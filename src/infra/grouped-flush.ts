/**
 * One fsync for many callers. Each flush() resolves after a sync that started after the call (so everything
 * written before the call is durable), and rejects if that sync failed. Calls made while a sync is waiting to
 * start share it; a sync starts no sooner than `minIntervalMs` after the one before, so a steady stream of
 * callers costs one sync per interval instead of one each.
 */
export class GroupedFlush {
  /** The sync callers may still join (not started yet). */
  private joinable: Promise<void> | undefined;
  /** The last sync scheduled: the next one starts after it. */
  private last: Promise<void> = Promise.resolve();
  private lastStartedAt = -Infinity;

  constructor(
    private readonly sync: () => Promise<void>,
    private readonly minIntervalMs: number,
  ) {}

  flush(): Promise<void> {
    if (this.joinable) return this.joinable;
    const next = this.last.catch(() => undefined).then(async () => {
      const wait = this.lastStartedAt + this.minIntervalMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      // From here on a caller's writes may come after this sync started: it needs the next one.
      this.joinable = undefined;
      this.lastStartedAt = Date.now();
      await this.sync();
    });
    this.joinable = next;
    this.last = next;
    return next;
  }
}
