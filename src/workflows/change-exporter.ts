/**
 * The heart of the change export, whatever the engine: a change source's transactions in (CaptureSink),
 * queue transactions out.
 *
 *  - Every source transaction's data events are appended as they arrive (a 1 M-row transaction streams to
 *    the segment file, never held in memory), followed by a CommitEvent carrying its commit position and time.
 *  - Group commit: the queue is made durable only at a transaction boundary, one commit being recorded at a
 *    time (the next may start while the one before is being made durable in meta.db), at most
 *    every `groupCommitMs` under a backlog (or when `groupCommitEvents` are pending), as soon as the commit
 *    in flight is done once caught up (`caughtUpCommitMs`). A due commit starts once the source's current read
 *    has been taken, so the transactions after the one that made it due in that read go with it. The fsync runs
 *    off the event loop (writer.commitAsync) while later transactions keep streaming in, so a slow disk does
 *    not stall the walsender. Only once a commit is durable is its position confirmed upstream (onDurable).
 *  - Restart: the source resends from its confirmed position, which may be behind what the queue holds (a
 *    crash between commit and confirmation). A transaction whose commit lies before the durable position is
 *    already in the queue: it is skipped, so nothing is appended twice.
 *  - Stops (SIGINT, cutover) happen only at a transaction boundary, after a final commit.
 */
import type { CaptureSink, PositionCodec, TableRef } from '../adapters/engine.js';
import type { DataEvent } from '../core/change-event.js';
import type { DataLineSink, JsonLineBuffer } from '../core/json-line.js';
import type { QueueWriter } from '../export-dir/queue.js';
import { failpoint } from '../infra/failpoints.js';
import type { Logger } from '../infra/logger.js';

export interface ChangeExporterOptions {
  writer: QueueWriter;
  /** Orders the change source's positions. */
  positions: PositionCodec;
  /** The position recorded with the last durable commit (exporter_position), or where the capture starts. */
  durable: string;
  log: Logger;
  /** A console warning (TRUNCATE). */
  warn: (text: string) => void;
  /** Called after each durable commit: the caller confirms the position upstream. */
  onDurable: (pos: string) => void;
  groupCommitMs?: number;
  /** The interval after a small group (the source is not far ahead): see DEFAULT_CAUGHT_UP_COMMIT_MS. */
  caughtUpCommitMs?: number;
  groupCommitEvents?: number;
}

export type StopReason = 'signal' | 'position';

/**
 * At most one durable commit per this interval (and never two at once). Most of what a change waits for on
 * its way to the queue: at 5k tx/s, lag p50 source → queue was 35 ms with 50 ms, 15-19 ms with 20 ms
 * (cdc-bench). Shorter costs CPU under a backlog: 10 ms added ~10% to the exporter's, 5 ms far more
 * (export-changes-bench --group-commit-ms).
 */
export const DEFAULT_GROUP_COMMIT_MS = 20;

/**
 * After a group this small the exporter has caught up with the source: the next commit may start this soon
 * after the last one started. Under a backlog groups are large and the interval stays groupCommitMs, where the
 * CPU per event is lowest. A commit costs ~0.3 ms of the exporter's CPU (two fsyncs, a SQLite transaction),
 * and each one is an apply group for the importer and a transaction for the target: at the source's maximum
 * (cdc-bench --shape wide --rate 100000, three interleaved pairs) 2 ms meant ~215 commits a second, and
 * exporter + importer + target backend used 248 µs of CPU per source transaction; 10 ms, 186 µs, and the
 * source, sharing the 2 cores, committed 2 458–2 598 tx/s instead of 2 139–2 280, for the same lag (p50
 * 28–36 ms against 30–38, p99 136–139 against 126–160). A slower source is not held up: a transaction that
 * ends more than this after the last commit started is committed at once.
 */
export const DEFAULT_CAUGHT_UP_COMMIT_MS = 10;
const CAUGHT_UP_GROUP_EVENTS = 1000;

/** A commit is due once this many events wait, whatever the time: bounds what a crash makes the source resend. */
export const DEFAULT_GROUP_COMMIT_EVENTS = 20_000;

/** The fast path's lines go straight into the queue writer; each one counts as an event of the transaction. */
class CountingLines implements DataLineSink {
  readonly out: JsonLineBuffer;
  constructor(private readonly writer: QueueWriter, private readonly counted: () => void) {
    this.out = writer.out;
  }

  beginDataLine(): void {
    this.writer.beginDataLine();
  }

  endDataLine(op: 'c' | 'u' | 'd', schema: string, table: string): void {
    this.writer.endDataLine(op, schema, table);
    this.counted();
  }
}

export class ChangeExporter implements CaptureSink {
  /** Inside a source transaction (between begin and commit). */
  inTransaction = false;
  /** Every source transaction that committed before this position has been received (appended or skipped). */
  receivedUpTo: string;
  /** The last position made durable in the queue. */
  durable: string;
  /** Transactions skipped because the queue already had them (restart after a crash). */
  skippedTransactions = 0;
  stopped: StopReason | undefined;
  readonly lines: DataLineSink;

  private skipping = false;
  /** Once a transaction lay past skipBelow, every later one does (commit order): no more comparisons. */
  private pastSkipBelow = false;
  private txnEvents = 0;
  private dirty = false;
  /** A commit is on its way to being recorded (visible to readers). */
  private committing = false;
  /** Commits recorded or on their way, not yet durable and confirmed. */
  private unconfirmed = 0;
  private lastCommitAt = Date.now();
  /**
   * Wakes atBoundary when a commit waiting for its interval is due. Everything else that can make a commit due
   * or carry out a stop (a transaction's end, idle(), a stop request, a commit recorded or durable) calls
   * atBoundary itself, so nothing polls.
   */
  private dueTimer: NodeJS.Timeout | undefined;
  /**
   * A commit that is due, started once the current read of the source has been taken. fail() cancels it; a stop
   * cannot complete before it runs (something is left to commit).
   */
  private commitSoon: NodeJS.Immediate | undefined;
  /** That read ended inside a transaction: the commit starts at its end. */
  private commitAtBoundary = false;
  /** Events in the last commit: a small one means caught up (shorter interval). */
  private lastGroupEvents = Infinity;
  private stopRequested: StopReason | undefined;
  /** Set at the first transaction boundary after a stop was asked for: nothing is taken after it. */
  private halted: StopReason | undefined;
  /** Transactions whose commit lies before this are already in the queue (from the last run). */
  private readonly skipBelow: string;
  private stopAt: string | undefined;
  private settleStopped!: { resolve: () => void; reject: (e: unknown) => void };
  /**
   * Resolves once the exporter stopped at a transaction boundary with everything before it durable and
   * confirmed; rejects if making the queue durable failed (the process must stop: nothing was confirmed).
   */
  readonly whenStopped = new Promise<void>((resolve, reject) => (this.settleStopped = { resolve, reject }));
  private readonly groupCommitMs: number;
  private readonly caughtUpCommitMs: number;
  private readonly groupCommitEvents: number;
  private readonly positions: PositionCodec;

  constructor(private readonly o: ChangeExporterOptions) {
    this.durable = o.durable;
    this.skipBelow = o.durable;
    this.receivedUpTo = o.durable;
    this.positions = o.positions;
    this.whenStopped.catch(() => undefined); // observed by the caller; never an unhandled rejection
    this.groupCommitMs = o.groupCommitMs ?? DEFAULT_GROUP_COMMIT_MS;
    this.caughtUpCommitMs = Math.min(this.groupCommitMs, o.caughtUpCommitMs ?? DEFAULT_CAUGHT_UP_COMMIT_MS);
    this.groupCommitEvents = o.groupCommitEvents ?? DEFAULT_GROUP_COMMIT_EVENTS;
    this.lines = new CountingLines(o.writer, () => this.appended());
  }

  /** A source transaction begins; `commitPos` is where its commit lies. False: skip its changes. */
  begin(commitPos: string): boolean {
    if (this.halted) return false;
    this.inTransaction = true;
    this.txnEvents = 0;
    // A durable position past the commit means the queue has the transaction already.
    if (!this.pastSkipBelow) {
      this.skipping = this.positions.compare(commitPos, this.skipBelow) < 0;
      this.pastSkipBelow = !this.skipping;
    }
    return !this.skipping;
  }

  change(e: Omit<DataEvent, 'vsn'>): void {
    if (this.skipping || this.halted) return;
    this.o.writer.append(e);
    this.appended();
  }

  private appended(): void {
    this.txnEvents++;
    failpoint('stream-changes.after-append');
  }

  commit(pos: string, ts?: string): void {
    if (this.halted) return;
    this.inTransaction = false;
    if (this.skipping) {
      // Already in the queue, so before what was received: nothing to advance.
      this.skippedTransactions++;
      this.o.log.debug('skipped a transaction already in the queue', { pos });
    } else {
      if (this.txnEvents > 0) this.o.writer.append(ts === undefined ? { op: 'commit', pos } : { op: 'commit', pos, ts });
      // Commits arrive in commit order, each past everything received before it (CaptureSink's contract).
      this.receivedUpTo = pos;
      this.dirty = true;
    }
    this.skipping = false;
    this.atBoundary();
  }

  truncate(tables: readonly TableRef[]): void {
    if (this.halted) return;
    const names = tables.map((x) => `${x.schema}.${x.table}`).join(', ');
    this.o.log.warn('TRUNCATE on the source is not replicated', { tables: names });
    this.o.warn(`TRUNCATE of ${names} on the source is not replicated (as in the reference tool); truncate the same table(s) on the target yourself, or rows will differ`);
  }

  /**
   * Between transactions, the source has sent every transaction that committed before `pos`: a position we
   * may record (an idle or filtered-out source still advances, so its capture does not retain changes
   * forever and a cutover sees the stream pass its stop position).
   */
  idle(pos: string): void {
    if (this.halted || this.inTransaction) return;
    this.advance(pos);
    this.atBoundary();
  }

  private advance(pos: string): void {
    if (this.positions.compare(pos, this.receivedUpTo) > 0) {
      this.receivedUpTo = pos;
      this.dirty = true;
    }
  }

  /** Stop at the next transaction boundary (now, when between transactions). Resolves once stopped. */
  requestStop(reason: StopReason = 'signal'): Promise<void> {
    this.stopRequested ??= reason;
    if (!this.inTransaction) this.atBoundary();
    return this.whenStopped;
  }

  /** Stop once every transaction committed before `pos` is durable in the queue (cutover). */
  stopWhenPassed(pos: string): void {
    this.stopAt = pos;
    if (!this.inTransaction) this.atBoundary();
  }

  private atBoundary(): void {
    if (this.stopped) return;
    if (!this.halted) {
      const passedStop = this.stopAt !== undefined && this.positions.compare(this.receivedUpTo, this.stopAt) >= 0;
      // From here on nothing more is taken from the stream: what was not confirmed is resent on the next run.
      if (this.stopRequested || passedStop) this.halted = this.stopRequested ?? 'position';
    }
    // One commit at a time; its completion comes back here. Meanwhile later transactions keep streaming in,
    // and the next commit takes all of them (group commit).
    if (this.committing || this.commitSoon) return;
    if (this.dirty && (this.halted || this.commitAtBoundary)) {
      this.startCommit();
      return;
    }
    const wait = this.msUntilCommitDue();
    if (this.dirty && (wait <= 0 || this.o.writer.pendingEvents >= this.groupCommitEvents)) {
      // Once the source's current read is taken: the transactions after this one in it go into this commit, not
      // the next one an interval later (a read may hold ~10 ms of a slow stream: read-coalescing.ts).
      this.commitSoon = setImmediate(() => {
        this.commitSoon = undefined;
        if (this.inTransaction) this.commitAtBoundary = true; // the read ended inside a transaction: at its end
        else this.startCommit();
      });
      return;
    }
    if (this.dirty && !this.dueTimer) {
      this.dueTimer = setTimeout(() => {
        this.dueTimer = undefined;
        if (!this.inTransaction) this.atBoundary();
      }, wait);
      this.dueTimer.unref(); // the stream keeps the process alive, not a commit that is not due
    }
    if (this.halted && !this.dirty && this.unconfirmed === 0) {
      this.stopped = this.halted;
      this.settleStopped.resolve();
    }
  }

  /** The shortest time between two commits' starts: shorter once caught up (a small last group). */
  private commitInterval(): number {
    return this.lastGroupEvents < CAUGHT_UP_GROUP_EVENTS ? this.caughtUpCommitMs : this.groupCommitMs;
  }

  msUntilCommitDue(): number {
    if (this.halted) return 0; // stopping (or stopped): the last commit is due now
    return Math.max(0, this.lastCommitAt + this.commitInterval() - Date.now());
  }

  private clearDueTimer(): void {
    clearTimeout(this.dueTimer);
    this.dueTimer = undefined;
  }

  private startCommit(): void {
    this.clearDueTimer();
    this.commitAtBoundary = false;
    const pos = this.receivedUpTo;
    this.dirty = false;
    this.committing = true;
    this.lastCommitAt = Date.now();
    this.lastGroupEvents = this.o.writer.pendingEvents;
    this.unconfirmed++;
    const recorded = () => {
      // Readers see it: the next group may be committed while this one's record is made durable.
      this.committing = false;
      if (!this.inTransaction) this.atBoundary();
    };
    this.o.writer.commitAsync(pos, recorded).then(
      () => {
        this.unconfirmed--;
        failpoint('stream-changes.after-commit-before-ack');
        this.durable = pos;
        this.o.onDurable(pos);
        if (!this.inTransaction) this.atBoundary();
      },
      (e) => this.fail(e),
    );
  }

  private fail(e: unknown): void {
    this.clearDueTimer();
    clearImmediate(this.commitSoon);
    this.commitSoon = undefined;
    this.committing = false;
    this.unconfirmed = 0;
    this.halted ??= 'signal';
    this.stopped = this.halted;
    this.settleStopped.reject(e);
  }

  /** For tests: wait until no commit is in flight. */
  async settle(): Promise<void> {
    do {
      await this.o.writer.drain();
      await new Promise((r) => setImmediate(r));
    } while (this.committing || this.unconfirmed > 0 || this.commitSoon);
  }
}
