/**
 * Reading the change queue (see queue.ts for the rules that make it exactly-once): events in vsn order,
 * never past a segment's committed size, waiting for more when caught up (woken by the writer's commit signal,
 * queue-signal.ts, or by the poll).
 */
import fs from 'node:fs';
import type { ExporterRole, QueueEvent } from '../core/change-event.js';
import { InternalError } from '../infra/errors.js';
import type { ExportDir } from './layout.js';
import { QueueLineParser } from './queue-line-parser.js';
import { CommitWatch } from './queue-signal.js';
import type { SegmentRow } from './queue.js';
import type { StateStore } from './state-store.js';
/**
 * Whole queue lines as read, not parsed yet: a consumer that reads ahead keeps text, which costs a fraction of
 * the memory and garbage-collection work of the events it holds. `QueueReader.parse` turns it into events.
 */
export interface QueueText {
  readonly text: string;
  /** Position in read order: texts are parsed in that order, each once. */
  readonly seq: number;
}

export interface ReaderOptions {
  /** Consumer name recorded per finished segment: 'target_db_importer' or 'source_db_importer'. */
  consumer: string;
  /** Exporter roles whose segments this consumer applies. */
  roles: readonly ExporterRole[];
  /** Events with vsn <= afterVsn are skipped (the consumer's committed watermark). */
  afterVsn: number;
  pollMs?: number;
  readChunkBytes?: number;
}

/**
 * Reads events in vsn order, waiting for more when caught up: `read` yields arrays of events as they are read,
 * `readText` the text to parse later. The generators end only when `signal` aborts.
 */
export class QueueReader {
  private readonly pollMs: number;
  /** Segment currently being read and how far. */
  private segmentNo = -1;
  private offset = 0;
  /** Closed segments fully yielded: segment_no → last vsn in it. */
  private finished: { no: number; lastVsn: number }[] = [];
  /** Events up to this vsn are parsed (or were applied before): later lines at or below it are skipped. */
  private parsedVsn = 0;
  private readonly parser = new QueueLineParser();
  private readSeq = 0;
  private parseSeq = 0;
  /** The segment file being read, open until the next segment is (or reading ends). */
  private open: { no: number; fd: number } | undefined;
  private readonly buf: Buffer;

  constructor(
    private readonly dir: ExportDir,
    private readonly state: StateStore,
    private readonly o: ReaderOptions,
  ) {
    this.pollMs = o.pollMs ?? 200;
    this.buf = Buffer.allocUnsafe(o.readChunkBytes ?? 4 << 20);
  }

  private segments(fromNo: number): SegmentRow[] {
    const roles = this.o.roles.map(() => '?').join(',');
    return this.state
      .statement(`SELECT * FROM queue_segments WHERE segment_no >= ? AND exporter_role IN (${roles}) ORDER BY segment_no`)
      .all(fromNo, ...this.o.roles) as SegmentRow[];
  }

  async *read(signal: AbortSignal): AsyncGenerator<QueueEvent[]> {
    for await (const t of this.readText(signal)) {
      const events = this.parse(t);
      if (events.length) yield events;
    }
  }

  /** The events of `t` above the consumer's watermark; every text `readText` yielded, once, in order. */
  parse(t: QueueText): QueueEvent[] {
    if (t.seq !== this.parseSeq) throw new InternalError(`queue text ${t.seq} parsed out of order (expected ${this.parseSeq})`);
    this.parseSeq++;
    const events: QueueEvent[] = [];
    this.parser.parse(t.text, this.parsedVsn, events);
    if (events.length) this.parsedVsn = events[events.length - 1].vsn;
    return events;
  }

  async *readText(signal: AbortSignal): AsyncGenerator<QueueText> {
    this.parsedVsn = this.o.afterVsn;
    // Watched before the first look at meta.db: a commit between a look and the wait after it still wakes us.
    const commits = new CommitWatch(this.dir);
    try {
      yield* this.readCommitted(signal, commits);
    } finally {
      commits.close();
      this.closeSegment();
    }
  }

  private async *readCommitted(signal: AbortSignal, commits: CommitWatch): AsyncGenerator<QueueText> {
    while (!signal.aborted) {
      let seg: SegmentRow | undefined;
      for (const s of this.segments(Math.max(this.segmentNo, 0))) {
        // Not the segment being read part-way (offset > 0): that one is finished by the closed branch below.
        const midRead = s.segment_no === this.segmentNo && this.offset > 0;
        const alreadyApplied = s.closed && s.last_vsn !== null && s.last_vsn <= this.o.afterVsn && !midRead;
        if (!alreadyApplied) {
          seg = s;
          break;
        }
        // Applied before a restart: skip without reading, but still acknowledge it as done.
        if (!this.finished.some((f) => f.no === s.segment_no)) this.finished.push({ no: s.segment_no, lastVsn: s.last_vsn ?? 0 });
        this.segmentNo = s.segment_no + 1;
      }
      if (!seg) {
        await commits.wait(this.pollMs, signal);
        continue;
      }
      if (seg.segment_no !== this.segmentNo) {
        this.segmentNo = seg.segment_no;
        this.offset = 0;
      }
      if (seg.archived) throw new InternalError(`segment ${seg.segment_no} was archived before consumer ${this.o.consumer} applied it`);
      if (this.offset < seg.committed_bytes) {
        for (const text of this.readRange(seg.segment_no, this.offset, seg.committed_bytes)) {
          yield { text, seq: this.readSeq++ };
          if (signal.aborted) return;
        }
        this.offset = seg.committed_bytes;
        continue; // re-read the row: more may have been committed meanwhile
      }
      if (seg.closed) {
        this.finished.push({ no: seg.segment_no, lastVsn: seg.last_vsn ?? 0 });
        this.segmentNo = seg.segment_no + 1;
        this.offset = 0;
        continue;
      }
      await commits.wait(this.pollMs, signal);
    }
  }

  /**
   * The lines in [from, to) of a segment, as texts of whole lines (without the last newline). Read with the
   * descriptor kept open from one committed range to the next and synchronously: a committed range is in the
   * page cache, and under a steady load one arrives every group commit (~20 ms), where opening, reading and
   * closing through the thread pool cost four wake-ups each (and ~0.25 s of CPU per 600k events).
   */
  private *readRange(no: number, from: number, to: number): Generator<string> {
    const fd = this.segmentFd(no);
    let pos = from;
    let buf = this.buf;
    // The unfinished last line is carried as BYTES, at the start of `buf` for the next read: a chunk may end
    // inside a multi-byte UTF-8 character, which decoding on its own would turn into U+FFFD.
    let carried = 0;
    while (pos < to) {
      // A line longer than the buffer: make room for the rest of it.
      if (carried === buf.length) buf = Buffer.concat([buf], 2 * buf.length);
      const bytesRead = fs.readSync(fd, buf, carried, Math.min(buf.length - carried, to - pos), pos);
      if (bytesRead === 0) throw new InternalError(`segment ${no} is shorter than its committed size ${to}`);
      pos += bytesRead;
      const filled = carried + bytesRead;
      const lastNl = buf.lastIndexOf(0x0a, filled - 1);
      if (lastNl < 0) {
        carried = filled;
        continue;
      }
      const texts = decodeLines(buf, lastNl);
      carried = buf.copy(buf, 0, lastNl + 1, filled);
      yield* texts;
    }
    if (carried) throw new InternalError(`segment ${no} has a partial line at its committed end`);
  }

  private segmentFd(no: number): number {
    if (this.open?.no === no) return this.open.fd;
    this.closeSegment();
    this.open = { no, fd: fs.openSync(this.dir.segmentFile(no), 'r') };
    return this.open.fd;
  }

  private closeSegment(): void {
    if (this.open) fs.closeSync(this.open.fd);
    this.open = undefined;
  }

  /** Would acknowledge(appliedVsn) let a segment go? */
  canAcknowledge(appliedVsn: number): boolean {
    return this.finished.some((f) => f.lastVsn <= appliedVsn);
  }

  /**
   * The consumer has durably applied everything up to `appliedVsn`: closed segments fully below it are
   * recorded done for this consumer, so `archive changes` may remove them.
   */
  acknowledge(appliedVsn: number): void {
    const done = this.finished.filter((f) => f.lastVsn <= appliedVsn);
    if (!done.length) return;
    this.finished = this.finished.filter((f) => f.lastVsn > appliedVsn);
    const ins = this.state.statement('INSERT OR IGNORE INTO queue_consumers (consumer, segment_no) VALUES (?, ?)');
    this.state.update(() => {
      for (const f of done) ins.run(this.o.consumer, f.no);
    });
  }
}

/**
 * Strings of at most this many bytes' worth of lines. V8 puts a string over ~128 KiB in large-object space,
 * one fresh mapping each, whose pages fault in on the first write: decoding 256 KiB pieces cost ~4.9 ms per
 * MiB here, against ~0.1 ms per MiB below the limit (about a fifth of the importer's CPU in apply-bench).
 */
export const MAX_TEXT_BYTES = 120 << 10;

/** The lines in buf[0, end) (end: a newline, left out) as strings under MAX_TEXT_BYTES, cut at newlines. */
export function decodeLines(buf: Buffer, end: number): string[] {
  const out: string[] = [];
  let from = 0;
  while (end - from > MAX_TEXT_BYTES) {
    let cut = buf.lastIndexOf(0x0a, from + MAX_TEXT_BYTES);
    if (cut < from) cut = buf.indexOf(0x0a, from); // one line longer than the limit: a string of its own
    if (cut < 0 || cut >= end) break;
    out.push(buf.toString('utf8', from, cut));
    from = cut + 1;
  }
  out.push(buf.toString('utf8', from, end));
  return out;
}
