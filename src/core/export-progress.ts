/**
 * How far the snapshot export of one table is, measured by what cannot lie: the chunks of the plan, each
 * weighed by the bytes of the relation it covers. The planner's row estimate is only a hint for the row count
 * shown beside the bar: it is missing for a table never analyzed and stale for one that grew since, so the
 * fraction never depends on it once anything was measured.
 *
 * - A finished chunk counts its whole weight.
 * - A chunk being read counts the COPY text written so far, converted to relation bytes by the ratio the
 *   finished chunks of this table showed (1 until one finished); from an engine that reports no bytes, its
 *   rows times the relation bytes per row (of the finished chunks, else of the planner's estimate). Never
 *   more than IN_FLIGHT_CAP of its weight: only a finished chunk is known to be finished.
 * - The fraction is 1 only when every chunk has finished.
 * Pure: no I/O, no clock.
 */

/** The most a chunk still being read may count for: the rest is only known once its copy ends. */
export const IN_FLIGHT_CAP = 0.95;

export interface ProgressMeasure {
  /** Rows read so far (exact). */
  rows: number;
  /** 0..1, and 1 only when the table is done. */
  fraction: number;
  /** The rows the table will have: exact once done, an extrapolation or the planner's estimate before. */
  expectedRows?: number;
}

interface ChunkState {
  /** Bytes of the relation this chunk covers (at least 1, so an empty-looking chunk still counts). */
  weight: number;
  rows: number;
  textBytes: number;
  done: boolean;
}

export class ChunkedTableProgress {
  private readonly chunks: ChunkState[];
  private readonly totalWeight: number;

  /**
   * @param chunkBytes the estimated relation bytes of each chunk, in chunk order
   * @param estimatedRows the planner's estimate (0 when the table was never analyzed)
   */
  constructor(chunkBytes: readonly number[], private readonly estimatedRows: number) {
    this.chunks = chunkBytes.map((b) => ({ weight: Math.max(1, b), rows: 0, textBytes: 0, done: false }));
    this.totalWeight = this.chunks.reduce((s, c) => s + c.weight, 0);
  }

  /** `rows` more rows (and `textBytes` more bytes of COPY text) of chunk `chunkNo` were read. */
  read(chunkNo: number, rows: number, textBytes = 0): void {
    const c = this.chunk(chunkNo);
    if (c.done) return;
    c.rows += rows;
    c.textBytes += textBytes;
  }

  /** Chunk `chunkNo` is being copied again from its start (its session was lost). */
  restart(chunkNo: number): void {
    const c = this.chunk(chunkNo);
    if (c.done) return;
    c.rows = 0;
    c.textBytes = 0;
  }

  /** Chunk `chunkNo` is complete with exactly these rows and bytes. */
  chunkDone(chunkNo: number, rows: number, textBytes: number): void {
    const c = this.chunk(chunkNo);
    c.rows = rows;
    c.textBytes = textBytes;
    c.done = true;
  }

  get done(): boolean {
    return this.chunks.every((c) => c.done);
  }

  measure(): ProgressMeasure {
    const rows = this.chunks.reduce((s, c) => s + c.rows, 0);
    if (this.done) return { rows, fraction: 1, expectedRows: rows };
    const fraction = Math.min(IN_FLIGHT_CAP, this.fraction());
    return { rows, fraction, expectedRows: this.expected(rows, fraction) };
  }

  private fraction(): number {
    const finished = this.chunks.filter((c) => c.done);
    const finishedWeight = finished.reduce((s, c) => s + c.weight, 0);
    const finishedText = finished.reduce((s, c) => s + c.textBytes, 0);
    const finishedRows = finished.reduce((s, c) => s + c.rows, 0);
    // COPY text bytes per relation byte, learnt from this table's finished chunks.
    const textPerByte = finishedText > 0 ? finishedText / finishedWeight : 1;
    const bytesPerRow = finishedRows > 0 ? finishedWeight / finishedRows : this.estimatedRows > 0 ? this.totalWeight / this.estimatedRows : 0;
    let credit = finishedWeight;
    for (const c of this.chunks) {
      if (c.done) continue;
      const read = c.textBytes > 0 ? c.textBytes / textPerByte : c.rows * bytesPerRow;
      credit += Math.min(IN_FLIGHT_CAP * c.weight, read);
    }
    return credit / this.totalWeight;
  }

  /**
   * Rows the table will have, best guess first: extrapolated from what was measured; else the planner's
   * estimate while it is still above what was read (below it, it is stale and says nothing).
   */
  private expected(rows: number, fraction: number): number | undefined {
    if (fraction > 0 && rows > 0) return Math.max(rows, Math.round(rows / fraction));
    return this.estimatedRows > rows ? this.estimatedRows : undefined;
  }

  private chunk(chunkNo: number): ChunkState {
    const c = this.chunks[chunkNo];
    if (!c) throw new RangeError(`no chunk ${chunkNo} in a table of ${this.chunks.length} chunks`);
    return c;
  }
}
