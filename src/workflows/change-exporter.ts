/**
 * The heart of the change export: decoded replication messages in, queue transactions out.
 *
 *  - Every source transaction's data events are appended as they arrive (a 1 M-row transaction streams to
 *    the segment file, never held in memory), followed by a CommitEvent carrying its end LSN and time.
 *  - Group commit: the queue is made durable only at a transaction boundary, one commit at a time, at most
 *    every `groupCommitMs` or when `groupCommitEvents` are pending, never per transaction. The fsync runs
 *    off the event loop (writer.commitAsync) while later transactions keep streaming in, so a slow disk does
 *    not stall the walsender. Only once a commit is durable is its position confirmed upstream (onDurable).
 *  - Restart: the server resends from the slot's confirmed position, which may be behind what the queue
 *    holds (a crash between commit and confirmation). A transaction whose commit record lies before the
 *    durable position is already in the queue: it is skipped, so nothing is appended twice.
 *  - Stops (SIGINT, cutover) happen only at a transaction boundary, after a final commit.
 */
import type { PgOutputTranslator } from '../adapters/postgres/pgoutput-events.js';
import { decodePgOutput } from '../adapters/postgres/pgoutput-decoder.js';
import { formatLsn } from '../adapters/postgres/lsn.js';
import { PgOutputLineEncoder } from '../adapters/postgres/pgoutput-lines.js';
import type { QueueWriter } from '../export-dir/queue.js';
import { failpoint } from '../infra/failpoints.js';
import type { Logger } from '../infra/logger.js';

export interface ChangeExporterOptions {
  writer: QueueWriter;
  translator: PgOutputTranslator;
  /** The position recorded with the last durable commit (exporter_position), or where the slot starts. */
  durableLsn: bigint;
  log: Logger;
  /** A console warning (TRUNCATE). */
  warn: (text: string) => void;
  /** Called after each durable commit: the caller confirms the position upstream. */
  onDurable: (lsn: bigint) => void;
  groupCommitMs?: number;
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

export class ChangeExporter {
  /** Inside a source transaction (between Begin and Commit). */
  inTransaction = false;
  /** Every source transaction that committed before this position has been received (appended or skipped). */
  receivedUpTo: bigint;
  /** The last position made durable in the queue. */
  durableLsn: bigint;
  /** Transactions skipped because the queue already had them (restart after a crash). */
  skippedTransactions = 0;
  stopped: StopReason | undefined;

  private skipping = false;
  private txnEvents = 0;
  private dirty = false;
  private committing = false;
  private lastCommitAt = Date.now();
  private stopRequested: StopReason | undefined;
  /** Set at the first transaction boundary after a stop was asked for: no message is taken after it. */
  private halted: StopReason | undefined;
  /** Transactions whose commit record lies before this are already in the queue (from the last run). */
  private readonly skipBelow: bigint;
  private stopAtLsn: bigint | undefined;
  private readonly notes = new Set<string>();
  private settleStopped!: { resolve: () => void; reject: (e: unknown) => void };
  /**
   * Resolves once the exporter stopped at a transaction boundary with everything before it durable and
   * confirmed; rejects if making the queue durable failed (the process must stop: nothing was confirmed).
   */
  readonly whenStopped = new Promise<void>((resolve, reject) => (this.settleStopped = { resolve, reject }));
  private readonly groupCommitMs: number;
  private readonly groupCommitEvents: number;
  private readonly lines: PgOutputLineEncoder;

  constructor(private readonly o: ChangeExporterOptions) {
    this.durableLsn = o.durableLsn;
    this.skipBelow = o.durableLsn;
    this.receivedUpTo = o.durableLsn;
    this.whenStopped.catch(() => undefined); // observed by the caller; never an unhandled rejection
    this.groupCommitMs = o.groupCommitMs ?? DEFAULT_GROUP_COMMIT_MS;
    this.groupCommitEvents = o.groupCommitEvents ?? 20_000;
    this.lines = new PgOutputLineEncoder(o.translator);
  }

  /** One pgoutput message (XLogData payload), starting at `offset` in `payload`. */
  onData(payload: Buffer, offset = 0): void {
    if (this.halted) return;
    // Most messages are row changes of exported tables: written to the queue straight from the frame.
    if (this.inTransaction && !this.skipping && this.lines.append(payload, offset, this.o.writer)) {
      this.txnEvents++;
      failpoint('stream-changes.after-append');
      return;
    }
    const t = this.o.translator.translate(decodePgOutput(payload, offset));
    switch (t.kind) {
      case 'begin':
        this.inTransaction = true;
        this.txnEvents = 0;
        // finalLsn is where the commit record starts; a durable position past it means the queue has it.
        this.skipping = t.finalLsn < this.skipBelow;
        return;
      case 'change':
        if (this.skipping) return;
        this.o.writer.append(t.event);
        this.txnEvents++;
        failpoint('stream-changes.after-append');
        return;
      case 'commit':
        this.inTransaction = false;
        if (this.skipping) {
          this.skippedTransactions++;
          this.o.log.debug('skipped a transaction already in the queue', { endLsn: formatLsn(t.endLsn) });
        } else if (this.txnEvents > 0) {
          this.o.writer.append({ op: 'commit', pos: formatLsn(t.endLsn), ts: t.ts });
        }
        this.skipping = false;
        if (t.endLsn > this.receivedUpTo) {
          this.receivedUpTo = t.endLsn;
          this.dirty = true;
        }
        this.atBoundary();
        return;
      case 'truncate': {
        const names = t.tables.map((x) => `${x.schema}.${x.table}`).join(', ');
        this.o.log.warn('TRUNCATE on the source is not replicated', { tables: names });
        this.o.warn(`TRUNCATE of ${names} on the source is not replicated (as in the reference tool); truncate the same table(s) on the target yourself, or rows will differ`);
        return;
      }
      case 'none':
        if (t.note && !this.notes.has(t.note)) {
          this.notes.add(t.note);
          this.o.log.debug(t.note);
        }
        return;
    }
  }

  /**
   * A keepalive: the server has sent every transaction that committed before walEnd. Between transactions
   * that is a position we may record (an idle or filtered-out source still advances, so the slot does not
   * retain WAL forever and a cutover sees the stream pass its stop position).
   */
  onKeepalive(walEnd: bigint): void {
    if (this.halted || this.inTransaction) return;
    if (walEnd > this.receivedUpTo) {
      this.receivedUpTo = walEnd;
      this.dirty = true;
    }
    this.atBoundary();
  }

  /** Timer tick (every few ms): commit what is due when between transactions; carry out a pending stop. */
  tick(): void {
    if (!this.stopped && !this.inTransaction) this.atBoundary();
  }

  /** Stop at the next transaction boundary (now, when between transactions). Resolves once stopped. */
  requestStop(reason: StopReason = 'signal'): Promise<void> {
    this.stopRequested ??= reason;
    if (!this.inTransaction) this.atBoundary();
    return this.whenStopped;
  }

  /** Stop once every transaction committed before `lsn` is durable in the queue (cutover). */
  stopWhenPassed(lsn: bigint): void {
    this.stopAtLsn = lsn;
    if (!this.inTransaction) this.atBoundary();
  }

  private atBoundary(): void {
    if (this.stopped) return;
    if (!this.halted) {
      const passedStop = this.stopAtLsn !== undefined && this.receivedUpTo >= this.stopAtLsn;
      // From here on nothing more is taken from the stream: what was not confirmed is resent on the next run.
      if (this.stopRequested || passedStop) this.halted = this.stopRequested ?? 'position';
    }
    // One commit at a time; its completion comes back here. Meanwhile later transactions keep streaming in,
    // and the next commit takes all of them (group commit).
    if (this.committing) return;
    if (this.dirty && (this.halted || Date.now() - this.lastCommitAt >= this.groupCommitMs || this.o.writer.pendingEvents >= this.groupCommitEvents)) {
      this.startCommit();
      return;
    }
    if (this.halted && !this.dirty) {
      this.stopped = this.halted;
      this.settleStopped.resolve();
    }
  }

  private startCommit(): void {
    const pos = this.receivedUpTo;
    this.dirty = false;
    this.committing = true;
    this.lastCommitAt = Date.now();
    this.o.writer.commitAsync(formatLsn(pos)).then(
      () => {
        this.committing = false;
        failpoint('stream-changes.after-commit-before-ack');
        this.durableLsn = pos;
        this.o.onDurable(pos);
        if (!this.inTransaction) this.atBoundary();
      },
      (e) => this.fail(e),
    );
  }

  private fail(e: unknown): void {
    this.committing = false;
    this.halted ??= 'signal';
    this.stopped = this.halted;
    this.settleStopped.reject(e);
  }

  /** For tests: wait until no commit is in flight. */
  async settle(): Promise<void> {
    do {
      await this.o.writer.drain();
      await new Promise((r) => setImmediate(r));
    } while (this.committing);
  }
}
