/**
 * MySQL/MariaDB values → PostgreSQL text, for the type map of DESIGN §3b (the schema export creates the target
 * columns from the same map, see type-map.ts). Two inputs reach here:
 *  - the snapshot reads rows with the text protocol undecoded (`typeCast: false`): each value is the server's
 *    own text as bytes, except BIT and binary strings, which are raw bytes;
 *  - the binlog reader (zongji) decodes row images to JS values: numbers, exact strings (DECIMAL, big
 *    BIGINT), date strings, Buffers.
 * Both must give the same text for the same stored value, or the snapshot and the change stream would disagree.
 * A value PostgreSQL cannot hold (a zero date, a TIME outside 00:00–24:00, a NUL in text) is an error that
 * names the column: it is never silently changed.
 */

export type ValueKind =
  /** Digits, dates, strings, JSON, ENUM/SET labels: the server's text is PostgreSQL's input. */
  | 'text'
  | 'float' // FLOAT: float32; the binlog gives the float32 as a double, the snapshot its shortest text
  | 'bytes' // BINARY, VARBINARY, BLOB family → bytea
  | 'bit' // BIT(n) → bit(n)
  | 'date' // zero dates are refused
  | 'datetime' // DATETIME → timestamp
  | 'timestamp' // TIMESTAMP (UTC in the session) → timestamptz
  | 'time' // TIME → time, only 00:00:00–24:00:00
  | 'year' // YEAR → smallint (zongji decodes 0000 as 1900)
  | 'uuid' // MariaDB UUID (the binlog gives 16 bytes)
  | 'string' // character data: NUL is refused
  | 'unsupported'; // spatial types

const BYTES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);
const STRINGS = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext']);
const SPATIAL = new Set(['geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection', 'geomcollection']);

export function valueKindOf(dataType: string, columnType: string): ValueKind {
  const t = dataType.toLowerCase();
  if (t === 'float') return 'float';
  if (BYTES.has(t)) return 'bytes';
  if (t === 'bit') return 'bit';
  if (t === 'date') return 'date';
  if (t === 'datetime') return 'datetime';
  if (t === 'timestamp') return 'timestamp';
  if (t === 'time') return 'time';
  if (t === 'year') return 'year';
  if (t === 'uuid') return 'uuid';
  if (SPATIAL.has(t)) return 'unsupported';
  if (STRINGS.has(t) && !/\bbinary\b/.test(columnType.toLowerCase())) return 'string';
  return 'text';
}

export interface ValueColumn {
  readonly name: string;
  readonly kind: ValueKind;
  readonly bits: number;
}

export class ValueError extends Error {}

function refuse(col: ValueColumn, text: string, why: string): never {
  throw new ValueError(`column ${col.name}: ${why} (${JSON.stringify(text.slice(0, 40))})`);
}

/** BIT(n) bytes (big-endian) → n characters of 0/1. */
function bitText(b: Uint8Array, bits: number): string {
  let s = '';
  for (const byte of b) s += byte.toString(2).padStart(8, '0');
  return s.length >= bits ? s.slice(s.length - bits) : s.padStart(bits, '0');
}

function bytesText(b: Uint8Array): string {
  return '\\x' + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** The shortest decimal that reads back as the same float32: what the server prints for a FLOAT. */
export function float32Text(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const f = Math.fround(x);
  for (let p = 1; p <= 9; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return String(Number(s));
  }
  return String(f);
}

function uuidText(b: Uint8Array): string {
  const h = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Checks and fix-ups on a value already in the server's text form. */
function fromServerText(col: ValueColumn, s: string): string {
  switch (col.kind) {
    case 'date':
      if (s.startsWith('0000-') || /-00(-|$)/.test(s.slice(4, 10))) refuse(col, s, 'a zero date has no PostgreSQL equivalent; fix the row on the source (UPDATE … SET col = NULL or a real date)');
      return s;
    case 'datetime':
      if (s.startsWith('0000-') || /-00(-| )/.test(s.slice(4, 11))) refuse(col, s, 'a zero date has no PostgreSQL equivalent; fix the row on the source');
      return s;
    case 'timestamp':
      if (s.startsWith('0000-')) refuse(col, s, 'a zero TIMESTAMP has no PostgreSQL equivalent; fix the row on the source');
      return `${s}+00`;
    case 'time':
      if (s.startsWith('-') || Number(s.slice(0, s.indexOf(':'))) > 24 || (s.startsWith('24:') && !/^24:00:00(\.0*)?$/.test(s))) {
        refuse(col, s, 'TIME outside 00:00:00–24:00:00 does not fit PostgreSQL time; change the value on the source or the target column to interval');
      }
      return s;
    case 'string':
      if (s.includes('\0')) refuse(col, s, 'PostgreSQL text cannot hold a NUL character; remove it on the source');
      return s;
    case 'unsupported':
      refuse(col, s, 'spatial values are not supported in this migration; exclude the table (--exclude-table-list)');
    default:
      return s;
  }
}

/** A snapshot value: the server's text bytes (raw bytes for BIT/binary), or null. */
export function snapshotValueText(col: ValueColumn, v: Buffer | null): string | null {
  if (v === null) return null;
  switch (col.kind) {
    case 'bytes':
      return bytesText(v);
    case 'bit':
      return bitText(v, col.bits);
    case 'year':
      return String(Number(v.toString('latin1')));
    default:
      return fromServerText(col, v.toString('utf8'));
  }
}

/** A binlog value as zongji decodes it (with dateStrings, bigNumberStrings, timezone 'Z'), or null. */
export function binlogValueText(col: ValueColumn, v: unknown): string | null {
  // zongji gives undefined for ENUM index 0 (the '' MySQL stores for an invalid value): it is the label ''.
  if (v === undefined) return col.kind === 'text' ? '' : null;
  if (v === null) return null;
  if (v instanceof Uint8Array) {
    if (col.kind === 'bit') return bitText(v, col.bits);
    if (col.kind === 'uuid') return uuidText(v);
    if (col.kind === 'bytes') return bytesText(v);
    return fromServerText(col, Buffer.from(v).toString('utf8'));
  }
  switch (col.kind) {
    case 'float':
      return float32Text(Number(v));
    case 'year':
      // zongji adds 1900 to the stored byte, so YEAR 0000 arrives as 1900 (not a legal YEAR).
      return Number(v) === 1900 ? '0' : String(v);
    case 'bit':
      return bitText(bigintBytes(BigInt(v as number | string)), col.bits);
    default:
      return fromServerText(col, typeof v === 'string' ? v : String(v));
  }
}

function bigintBytes(n: bigint): Uint8Array {
  const out: number[] = [];
  do {
    out.unshift(Number(n & 0xffn));
    n >>= 8n;
  } while (n > 0n);
  return Uint8Array.from(out);
}
