/**
 * How a snapshot is cut into chunk files: block (ctid) ranges of each table's heap, and the file names
 * that carry them. Pure: no I/O.
 *
 * A ctid range scan (`ctid >= '(a,0)' AND ctid < '(b,0)'`, a TID Range Scan since PostgreSQL 14) reads
 * exactly the blocks [a, b). The last range is left open (`ctid >= '(a,0)'`): blocks added after the size
 * was measured hold only rows our snapshot cannot see, but an open end costs nothing and cannot miss one.
 */
import { createHash } from 'node:crypto';

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

/** File-system-safe, readable rendering of a name; the hash in dataFileName keeps distinct names distinct. */
function safe(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 40);
  return s || '_';
}

/**
 * Name of one chunk file in data/: `<schema>.<table>[.<leaf>]-<hash>.<chunk>.g<generation>.copy`.
 * The generation changes each time the snapshot restarts, so a file of an abandoned snapshot is never taken
 * for a file of the current one (an importer may still hold the old one open).
 */
export function dataFileName(
  generation: number,
  table: { schema: string; table: string },
  leaf: { schema: string; table: string } | undefined,
  chunkNo: number,
): string {
  const h = createHash('sha1');
  h.update(`${table.schema}\u0000${table.table}\u0000${leaf?.schema ?? ''}\u0000${leaf?.table ?? ''}`);
  const hash = h.digest('hex').slice(0, 8);
  const leafPart = leaf && (leaf.schema !== table.schema || leaf.table !== table.table) ? `.${safe(leaf.table)}` : '';
  return `${safe(table.schema)}.${safe(table.table)}${leafPart}-${hash}.${String(chunkNo).padStart(4, '0')}.g${generation}.copy`;
}

/** Snapshot files in data/ (done or temporary), with the generation they belong to. */
export function parseDataFileName(name: string): { generation: number; temporary: boolean } | undefined {
  const m = /\.g(\d+)\.copy(\.tmp)?$/.exec(name);
  return m ? { generation: Number(m[1]), temporary: Boolean(m[2]) } : undefined;
}
