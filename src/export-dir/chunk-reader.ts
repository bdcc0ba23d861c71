/**
 * Reads a snapshot chunk file (COPY text) as a sequence of batches of at most N rows, streaming: a batch
 * is handed out as the buffers read from disk (sliced at row boundaries), never gathered in memory.
 * A batch can be re-read from its start (a retried transaction) with rewind().
 */
import fs from 'node:fs';
import { findRowsEnd } from '../core/copy-text.js';
import { InternalError } from '../infra/errors.js';

const READ_BYTES = 1024 * 1024;

export class ChunkReader {
  /** File offset of the next byte not yet handed out. */
  private offset = 0;
  private pending: Buffer | undefined;
  private readAt = 0;
  /** Rows handed out (or skipped) so far; the next row's 1-based line number is rowsRead + 1. */
  rowsRead = 0;

  private constructor(
    private readonly fh: fs.promises.FileHandle,
    readonly path: string,
  ) {}

  static async open(path: string): Promise<ChunkReader> {
    return new ChunkReader(await fs.promises.open(path, 'r'), path);
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
  }

  private async next(): Promise<Buffer | undefined> {
    if (this.pending) {
      const p = this.pending;
      this.pending = undefined;
      return p;
    }
    // A fresh buffer per read: the COPY stream may still hold the previous one.
    const buf = Buffer.allocUnsafe(READ_BYTES);
    const { bytesRead } = await this.fh.read(buf, 0, READ_BYTES, this.readAt);
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
   * The next batch: up to `rows` complete rows. The iterator must be consumed to its end before the next
   * call. A file that ends in the middle of a row is damaged: that throws.
   */
  async *batch(rows: number): AsyncGenerator<Buffer> {
    let need = rows;
    while (need > 0) {
      const buf = await this.next();
      if (!buf) {
        if (this.lastByte !== undefined && this.lastByte !== 0x0a) {
          throw new InternalError(`data file ${this.path} ends in the middle of a row; rerun export data with --start-clean true`);
        }
        return;
      }
      const { end, found } = findRowsEnd(buf, 0, need);
      const piece = end < 0 ? buf : buf.subarray(0, end);
      if (end >= 0) this.unread(buf.subarray(end));
      need -= found;
      this.rowsRead += found;
      this.offset += piece.length;
      this.lastByte = piece.length ? piece[piece.length - 1] : this.lastByte;
      if (piece.length) yield piece;
    }
  }

  private lastByte: number | undefined;
}
