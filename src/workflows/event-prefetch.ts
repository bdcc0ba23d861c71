/**
 * Reads the change queue ahead of the applier: file reads and JSON parsing happen while the database
 * applies the previous group. Bounded: the reader pauses when `maxBuffered` events wait.
 */
import type { QueueEvent } from '../core/change-event.js';
import type { QueueReader } from '../export-dir/queue-reader.js';

export class EventPrefetcher {
  private chunks: QueueEvent[][] = [];
  private count = 0;
  private wake: (() => void) | undefined;
  private space: (() => void) | undefined;
  private readonly ac = new AbortController();
  /** The reader ended (stopped, or the outer signal aborted) or failed. */
  finished = false;
  error: unknown;
  readonly done: Promise<void>;

  constructor(
    reader: QueueReader,
    signal: AbortSignal,
    private readonly maxBuffered: number,
  ) {
    const onAbort = () => this.stop();
    if (signal.aborted) this.ac.abort();
    else signal.addEventListener('abort', onAbort, { once: true });
    this.done = this.run(reader).finally(() => {
      signal.removeEventListener('abort', onAbort);
      this.finished = true;
      this.notify();
    });
  }

  private async run(reader: QueueReader): Promise<void> {
    try {
      for await (const events of reader.read(this.ac.signal)) {
        this.chunks.push(events);
        this.count += events.length;
        this.notify();
        while (this.count >= this.maxBuffered && !this.ac.signal.aborted) await new Promise<void>((r) => (this.space = r));
        if (this.ac.signal.aborted) break;
      }
    } catch (e) {
      this.error = e;
    }
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  get buffered(): number {
    return this.count;
  }

  /** Everything read so far, in vsn order. */
  takeAll(): QueueEvent[] {
    const all = this.chunks.length === 1 ? this.chunks[0] : this.chunks.flat();
    this.chunks = [];
    this.count = 0;
    const s = this.space;
    this.space = undefined;
    s?.();
    return all;
  }

  /** Resolves when events are buffered, the reader ended, or `timeoutMs` passed. */
  waitForData(timeoutMs: number): Promise<void> {
    if (this.count > 0 || this.finished) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, timeoutMs);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /** Stop reading; `done` resolves once the reader has let go of its file. */
  stop(): void {
    this.ac.abort();
    const s = this.space;
    this.space = undefined;
    s?.();
  }
}
