/**
 * Reads the change queue ahead of the applier: file reads happen while the database applies the previous
 * group. What is read ahead stays text until the applier takes it: parsed events cost several times the
 * memory of their text, and events that wait long survive garbage collections, each of which copies them
 * (that copying was a quarter of the importer's CPU when whole read-aheads were parsed at once).
 * Bounded: the reader pauses when `maxBufferedChars` of text wait.
 */
import type { QueueEvent } from '../core/change-event.js';
import type { QueueReader, QueueText } from '../export-dir/queue-reader.js';

export class EventPrefetcher {
  private texts: QueueText[] = [];
  private chars = 0;
  private wake: (() => void) | undefined;
  private space: (() => void) | undefined;
  private readonly ac = new AbortController();
  /** The reader ended (stopped, or the outer signal aborted) or failed. */
  finished = false;
  error: unknown;
  readonly done: Promise<void>;

  constructor(
    private readonly reader: QueueReader,
    signal: AbortSignal,
    private readonly maxBufferedChars: number,
  ) {
    const onAbort = () => this.stop();
    if (signal.aborted) this.ac.abort();
    else signal.addEventListener('abort', onAbort, { once: true });
    this.done = this.run().finally(() => {
      signal.removeEventListener('abort', onAbort);
      this.finished = true;
      this.notify();
    });
  }

  private async run(): Promise<void> {
    try {
      for await (const t of this.reader.readText(this.ac.signal)) {
        this.texts.push(t);
        this.chars += t.text.length;
        this.notify();
        while (this.chars >= this.maxBufferedChars && !this.ac.signal.aborted) await new Promise<void>((r) => (this.space = r));
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

  /** Pieces of text waiting to be taken (each a read's worth of whole lines). */
  get buffered(): number {
    return this.texts.length;
  }

  /**
   * The next events in vsn order: buffered text parsed piece by piece (as read) until at least `minEvents`
   * events or nothing is left. Yields to the event loop between pieces: the group before is being applied
   * meanwhile, and each of its statements goes out as soon as the one before completes.
   */
  async take(minEvents: number): Promise<QueueEvent[]> {
    const parts: QueueEvent[][] = [];
    let count = 0;
    while (count < minEvents && this.texts.length) {
      if (parts.length) await new Promise<void>((r) => setImmediate(r));
      const t = this.texts.shift()!;
      this.chars -= t.text.length;
      const s = this.space;
      this.space = undefined;
      s?.();
      const events = this.reader.parse(t);
      parts.push(events);
      count += events.length;
    }
    return parts.length === 1 ? parts[0] : ([] as QueueEvent[]).concat(...parts);
  }

  /** Resolves when text is buffered, the reader ended, or `timeoutMs` passed. */
  waitForData(timeoutMs: number): Promise<void> {
    if (this.texts.length || this.finished) return Promise.resolve();
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
