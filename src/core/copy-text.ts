/**
 * PostgreSQL COPY text format, as far as batching needs it: every row ends with one newline byte, and a
 * newline inside a value is always escaped (`\n`), so row boundaries are exactly the 0x0A bytes. Counting
 * and cutting rows never needs to decode anything. Pure: no I/O.
 */

const NL = 0x0a;

/** Number of rows (newline bytes) in buf[start, end). */
export function countRows(buf: Uint8Array, start = 0, end = buf.length): number {
  let n = 0;
  let i = start;
  const b = buf as Buffer;
  for (;;) {
    const j = b.indexOf(NL, i);
    if (j < 0 || j >= end) return n;
    n++;
    i = j + 1;
  }
}

/**
 * Where `rows` more rows end in buf, starting at `start`: the offset just past the rows-th newline, and how
 * many rows were found. When the buffer holds fewer rows, `end` is -1 and `found` says how many it held.
 */
export function findRowsEnd(buf: Uint8Array, start: number, rows: number): { end: number; found: number } {
  const b = buf as Buffer;
  let i = start;
  let found = 0;
  while (found < rows) {
    const j = b.indexOf(NL, i);
    if (j < 0) return { end: -1, found };
    found++;
    i = j + 1;
  }
  return { end: i, found };
}

/** The line number COPY names in its error context ("COPY t, line 12, column c: …"), if any. */
export function copyErrorLine(where: string | undefined): number | undefined {
  const m = /\bline (\d+)/.exec(where ?? '');
  return m ? Number(m[1]) : undefined;
}

/** The column COPY names in its error context, if any. */
export function copyErrorColumn(where: string | undefined): string | undefined {
  const m = /\bline \d+, column ([^:]+)/.exec(where ?? '');
  return m ? m[1] : undefined;
}

/**
 * Session settings under which COPY text output is exact and portable, and input reads it back unchanged:
 * ISO dates, UTC offsets for timestamptz, shortest-exact floats, hex bytea, C-locale money. The exporter
 * and the importer both set them, so neither side's server defaults can change a value on the way.
 */
export const COPY_TEXT_SESSION_SETTINGS: readonly string[] = [
  "SET client_encoding = 'UTF8'",
  "SET DateStyle = 'ISO, MDY'",
  "SET IntervalStyle = 'postgres'",
  "SET TimeZone = 'UTC'",
  'SET extra_float_digits = 3',
  "SET bytea_output = 'hex'",
  "SET lc_monetary = 'C'",
];

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** One value as a COPY text field: NULL is \N; backslash, newline, carriage return and tab are escaped. */
export function copyField(v: string | null): string {
  if (v === null) return '\\N';
  return /[\\\n\r\t]/.test(v) ? v.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c]) : v;
}
