/**
 * An fsync on the event loop while the disk is fast, in the thread pool once it is not.
 *
 * On a fast disk the two hops to the thread pool and back cost more than the fsync itself, each one a wait for
 * a core when the machine is busy (cdc-bench lag at the source's maximum, narrow rows: the queue commit, start
 * → readers see it, took p50 2 ms, p99 12 ms through the pool; 1 ms and 7 ms on the event loop, where an fsync
 * took ~0.15 ms). A slow fsync sends the next `retryAfter` ones to the thread pool, so a slow disk stalls the
 * event loop at most once per `retryAfter` calls.
 */
import fs from 'node:fs';

export class AdaptiveFsync {
  /** Calls left that go to the thread pool. */
  private poolLeft = 0;

  constructor(
    private readonly slowMs = 2,
    private readonly retryAfter = 100,
  ) {}

  /** Whether the next call runs on the event loop. */
  get nextOnEventLoop(): boolean {
    return this.poolLeft === 0;
  }

  async fsync(fd: number): Promise<void> {
    if (this.poolLeft > 0) {
      this.poolLeft--;
      await new Promise<void>((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve())));
      return;
    }
    const started = performance.now();
    fs.fsyncSync(fd);
    this.tookOnEventLoop(performance.now() - started);
  }

  /** An fsync on the event loop took `ms`. */
  tookOnEventLoop(ms: number): void {
    if (ms > this.slowMs) this.poolLeft = this.retryAfter;
  }
}
