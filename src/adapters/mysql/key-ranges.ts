/**
 * Chunks of one table by primary-key range, so several sessions read one big table at once. Only a
 * single-column integer key is split (its bounds are cheap to find and every value falls in exactly one
 * range); any other table is one chunk. Pure: no I/O.
 */

export interface KeyRange {
  /** MySQL column name of the key; absent: the whole table. */
  column?: string;
  /** Inclusive lower bound (decimal text); absent: unbounded. */
  from?: string;
  /** Exclusive upper bound; absent: unbounded. */
  to?: string;
}

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'bigint']);

export function isSplittableKey(dataTypes: readonly string[]): boolean {
  return dataTypes.length === 1 && INTEGER_TYPES.has(dataTypes[0]);
}

/** `chunks` ranges covering every value: the first open below, the last open above. */
export function splitKeyRange(column: string, min: bigint, max: bigint, chunks: number): KeyRange[] {
  const span = max - min + 1n;
  const n = BigInt(Math.max(1, chunks));
  if (n <= 1n || span < n * 2n) return [{}];
  const step = span / n;
  const out: KeyRange[] = [];
  for (let i = 0n; i < n; i++) {
    const from = i === 0n ? undefined : (min + step * i).toString();
    const to = i === n - 1n ? undefined : (min + step * (i + 1n)).toString();
    out.push({ column, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) });
  }
  return out;
}

/** The WHERE clause of a range ('' for the whole table); `quote` quotes the column name. */
export function keyRangePredicate(r: KeyRange, quote: (name: string) => string): string {
  if (!r.column) return '';
  const parts: string[] = [];
  if (r.from !== undefined) parts.push(`${quote(r.column)} >= ${BigInt(r.from).toString()}`);
  if (r.to !== undefined) parts.push(`${quote(r.column)} < ${BigInt(r.to).toString()}`);
  return parts.join(' AND ');
}
