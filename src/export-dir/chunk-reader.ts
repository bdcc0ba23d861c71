/**
 * Reads a snapshot chunk file as a sequence of batches of at most N rows, streaming: a batch is handed out
 * as the buffers read from disk (sliced at row boundaries), never gathered in memory. A batch can be re-read
 * from its start (a retried transaction) with rewind().
 *
 * COPY text: rows end at newline bytes. Binary COPY: the file's header and trailer are read once; each batch
 * is handed out as a complete binary COPY stream of its own (header, its tuples, trailer), found by the
 * tuples' field lengths (core/copy-binary.ts).
 */
import fs from 'node:fs';
import { BINARY_HEADER, BINARY_TRAILER, binaryHeaderLength, BinaryTupleScanner, type CopyFormat } from '../core/copy-binary.js';
import { findRowsEnd } from '../core/copy-text.js';
import { InternalError } from '../infra/errors.js';

const READ_BYTES = 1024 * 1024;

export class ChunkReader {
  /** File offset of the next byte not yet handed out. */
  private offset: number;
  private pending: Buffer | undefined;
  private readAt: number;
  /** Rows handed out (or skipped) so far; the next row's 1-based line number is rowsRead + 1. */
  rowsRead = 0;
  private readonly tuples: BinaryTupleScanner | undefined;

  private constructor(
    private readonly fh: fs.promises.FileHandle,
    readonly path: string,
    /** Where the rows start and end (binary: between header and trailer). */
    private readonly dataStart: number,
    private readonly dataEnd: number,
    binary: boolean,
  ) {
    this.offset = this.readAt = dataStart;
    this.tuples = binary ? new BinaryTupleScanner() : undefined;
  }

  static async open(path: string, format: CopyFormat = 'text'): Promise<ChunkReader> {
    const fh = await fs.promises.open(path, 'r');
    try {
      const size = (await fh.stat()).size;
      if (format === 'text') return new ChunkReader(fh, path, 0, size, false);
      const head = Buffer.alloc(Math.min(size, 4096));
      await fh.read(head, 0, head.length, 0);
      const start = binaryHeaderLength(head);
      const tail = Buffer.alloc(2);
      if (size >= 2) await fh.read(tail, 0, 2, size - 2);
      if (start === undefined || size < start + 2 || !tail.equals(BINARY_TRAILER)) {
        throw new InternalError(`data file ${path} is not a complete binary COPY file; rerun export data with --start-clean true`);
      }
      return new ChunkReader(fh, path, start, size - 2, true);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  private closed = false;

  /** Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }

  /** Where the next batch starts, for rewind(). */
  mark(): { offset: number; rows: number } {
    return { offset: this.offset, rows: this.rowsRead };
  }

  rewind(m: { offset: number; rows: number }): void {
    this.offset = m.offset;
    this.readAt = m.offset;
    this.rowsRead = m.rows;
    this.pending = undefined;
    this.tuples?.reset();
  }

  private async next(): Promise<Buffer | undefined> {
    if (this.pending) {
      const p = this.pending;
      this.pending = undefined;
      return p;
    }
    const want = Math.min(READ_BYTES, this.dataEnd - this.readAt);
    if (want <= 0) return undefined;
    // A fresh buffer per read: the COPY stream may still hold the previous one.
    const buf = Buffer.allocUnsafe(want);
    const { bytesRead } = await this.fh.read(buf, 0, want, this.readAt);
    if (bytesRead === 0) return undefined;
    this.readAt += bytesRead;
    return buf.subarray(0, bytesRead);
  }

  private unread(buf: Buffer): void {
    if (buf.length) this.pending = buf;
  }

  /** True when at least one more byte remains. */
  async hasMore(): Promise<boolean> {
    const b = await this.next();
    if (!b) return false;
    this.unread(b);
    return true;
  }

  /** Move past `rows` rows without handing them out (rows imported by an earlier run). */
  async skipRows(rows: number): Promise<void> {
    for await (const _ of this.batch(rows)) void _;
  }

  /**
   * The next batch: up to `rows` complete rows (binary: with a header and a trailer of its own). The iterator
   * must be consumed to its end before the next call. A file that ends in the middle of a row is damaged: that throws.
   */
  async *batch(rows: number): AsyncGenerator<Buffer> {
    if (this.tuples) yield BINARY_HEADER;
    let need = rows;
    while (need > 0) {
      const buf = await this.next();
      if (!buf) {
        const cut = this.tuples ? !this.tuples.atBoundary : this.lastByte !== undefined && this.lastByte !== 0x0a;
        if (cut) throw new InternalError(`data file ${this.path} ends in the middle of a row; rerun export data with --start-clean true`);
        break;
      }
      const { end, found } = this.findRows(buf, need);
      const piece = end < 0 ? buf : buf.subarray(0, end);
      if (end >= 0) this.unread(buf.subarray(end));
      need -= found;
      this.rowsRead += found;
      this.offset += piece.length;
      this.lastByte = piece.length ? piece[piece.length - 1] : this.lastByte;
      if (piece.length) yield piece;
    }
    if (this.tuples) yield BINARY_TRAILER;
  }

  private findRows(buf: Buffer, rows: number): { end: number; found: number } {
    if (!this.tuples) return findRowsEnd(buf, 0, rows);
    try {
      return this.tuples.scan(buf, 0, rows);
    } catch (e) {
      throw new InternalError(`data file ${this.path} is damaged (${(e as Error).message}); rerun export data with --start-clean true`);
    }
  }

  private lastByte: number | undefined;
}
