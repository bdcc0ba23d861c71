/**
 * PostgreSQL's binary COPY format, as far as batching needs it: a header (signature, flags, extension), then
 * tuples — an int16 field count, and per field an int32 length (-1: NULL) followed by that many bytes — and a
 * trailer (int16 -1). Cutting a file into batches means finding tuple ends, which needs the lengths only,
 * never the values. Pure: no I/O.
 */

/** How a snapshot chunk file is written: COPY text (any target), or binary (PostgreSQL into the same types). */
export type CopyFormat = 'text' | 'binary';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** The header every binary COPY stream we send starts with: no flags, no extension. */
export const BINARY_HEADER = Buffer.concat([SIGNATURE, Buffer.alloc(8)]);
export const BINARY_TRAILER = Buffer.from([0xff, 0xff]);

/** Bytes of the header at the start of `buf` (it holds at least 19 bytes, or the whole file); undefined when it is not one. */
export function binaryHeaderLength(buf: Uint8Array): number | undefined {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 19 || !b.subarray(0, 11).equals(SIGNATURE)) return undefined;
  return 19 + b.readUInt32BE(15);
}

/**
 * Finds tuple ends in a binary COPY stream handed over in pieces: the state of a tuple cut by a piece's end
 * carries over to the next piece.
 */
export class BinaryTupleScanner {
  /** Fields of the current tuple still to come; -1 between tuples (next: the field count). */
  private fieldsLeft = -1;
  /** Bytes of the current field's value still to pass. */
  private skip = 0;
  /** Bytes of a count or length word seen so far, and their value. */
  private partial = 0;
  private word = 0;

  /** Between two tuples (nothing of the next one seen yet). */
  get atBoundary(): boolean {
    return this.fieldsLeft < 0 && this.partial === 0;
  }

  reset(): void {
    this.fieldsLeft = -1;
    this.skip = 0;
    this.partial = 0;
    this.word = 0;
  }

  /**
   * Where `rows` more tuples end in buf, starting at `start`: the offset just past the rows-th tuple, and how
   * many were found. When the piece holds fewer, `end` is -1 and the scan goes on with the next piece.
   */
  scan(buf: Uint8Array, start: number, rows: number): { end: number; found: number } {
    let i = start;
    let found = 0;
    if (rows <= 0) return { end: start, found };
    const b = buf;
    const len = b.length;
    for (;;) {
      // Fast path: whole tuples from a boundary, read without the carried state.
      if (this.fieldsLeft < 0 && this.partial === 0) {
        while (i + 2 <= len) {
          const n = (b[i] << 8) | b[i + 1];
          if (n === 0xffff) throw new Error('binary COPY data holds its trailer before the end');
          let p = i + 2;
          let f = 0;
          for (; f < n && p + 4 <= len; f++) {
            const l = (b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];
            p += 4 + (l > 0 ? l : 0);
          }
          if (f < n || p > len) break; // the tuple goes on in the next piece: the slow path below
          i = p;
          if (++found === rows) return { end: i, found };
        }
      }
      if (this.skip > 0) {
        const n = Math.min(this.skip, len - i);
        i += n;
        this.skip -= n;
        if (this.skip > 0) return { end: -1, found };
      }
      if (this.fieldsLeft === 0) {
        this.fieldsLeft = -1;
        if (++found === rows) return { end: i, found };
        continue;
      }
      const width = this.fieldsLeft < 0 ? 2 : 4;
      while (this.partial < width) {
        if (i >= len) return { end: -1, found };
        this.word = this.word * 256 + b[i++];
        this.partial++;
      }
      const w = width === 2 ? (this.word << 16) >> 16 : this.word | 0;
      this.partial = 0;
      this.word = 0;
      if (this.fieldsLeft < 0) {
        if (w < 0) throw new Error('binary COPY data holds its trailer before the end');
        this.fieldsLeft = w;
      } else {
        this.fieldsLeft--;
        if (w > 0) this.skip = w;
      }
    }
  }
}
