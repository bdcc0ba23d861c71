/**
 * How PostgreSQL tables are cut into chunks: block (ctid) ranges of each table's heap. Pure: no I/O.
 *
 * A ctid range scan (`ctid >= '(a,0)' AND ctid < '(b,0)'`, a TID Range Scan since PostgreSQL 14) reads
 * exactly the blocks [a, b). The last range is left open (`ctid >= '(a,0)'`): blocks added after the size
 * was measured hold only rows our snapshot cannot see, but an open end costs nothing and cannot miss one.
 */

export interface CtidRange {
  /** First block, inclusive. */
  fromBlock: number;
  /** First block after the range; null = to the end of the table. */
  toBlock: number | null;
}

/** One range for small tables; otherwise ranges of `blocksPerChunk` blocks, the last one open. */
export function planCtidRanges(relationBlocks: number, blocksPerChunk: number): CtidRange[] {
  if (blocksPerChunk < 1) blocksPerChunk = 1;
  if (relationBlocks <= blocksPerChunk) return [{ fromBlock: 0, toBlock: null }];
  const n = Math.ceil(relationBlocks / blocksPerChunk);
  const ranges: CtidRange[] = [];
  for (let i = 0; i < n; i++) {
    ranges.push({ fromBlock: i * blocksPerChunk, toBlock: i === n - 1 ? null : (i + 1) * blocksPerChunk });
  }
  return ranges;
}

/** The WHERE clause of one range, or '' for a whole table. */
export function ctidPredicate(r: CtidRange): string {
  if (r.fromBlock === 0 && r.toBlock === null) return '';
  const from = `ctid >= '(${r.fromBlock},0)'::tid`;
  return r.toBlock === null ? from : `${from} AND ctid < '(${r.toBlock},0)'::tid`;
}
