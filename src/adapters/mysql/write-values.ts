/**
 * PostgreSQL COPY text → the value written into a MySQL/MariaDB column: the reverse of type-map.ts and
 * values.ts, for fall-back (changes made on the target, applied onto the original source). The text was
 * rendered under core/copy-text.ts's settings (UTC, ISO dates, hex bytea, shortest-exact floats), and the
 * apply session runs in UTC with a strict sql_mode, so each value is written exactly:
 *
 *   integers, DECIMAL, BIGINT UNSIGNED, FLOAT/DOUBLE   a numeric literal, never a quoted string: MySQL 8 compares
 *                                                       a string with a number as doubles (its manual, "Type
 *                                                       Conversion in Expression Evaluation"), so a key above 2^53
 *                                                       or a DECIMAL(65,30) could match the wrong row (MariaDB
 *                                                       compares them exactly)
 *   YEAR                                                a number (the string '0' would mean 2000, the number 0 is 0000)
 *   BIT(n)                                              a bit literal b'0101…': the same bits
 *   binary strings                                      the bytes of '\x…' (trailing zero bytes kept)
 *   DATE, DATETIME, TIME                                the text; infinity and BC dates are refused
 *   TIMESTAMP                                           timestamptz text at any offset → UTC 'YYYY-MM-DD HH:MM:SS[.ffffff]'
 *   ENUM, SET, character data, JSON, UUID, INET6        the text ('' stays '', NULL stays NULL)
 *
 * A value MySQL cannot hold (NaN, infinity, a BC date) is an error naming the column: never changed silently.
 */
import { ValueError, valueKindOf } from './values.js';

/** What mysql2 escapes into SQL: a literal written as is, a number, bytes (X'…'), a quoted string or NULL. */
export type WriteValue = string | number | Buffer | SqlLiteral | null;

/** SQL text written into a statement unquoted (mysql2 calls toSqlString); only built from validated text. */
export class SqlLiteral {
  constructor(readonly sql: string) {}
  toSqlString(): string {
    return this.sql;
  }
}

export type WriteKind = 'exact' | 'float' | 'year' | 'bit' | 'bytes' | 'date' | 'datetime' | 'timestamp' | 'time' | 'text' | 'unsupported';

export interface WriteColumn {
  /** For messages (the MySQL column name). */
  readonly name: string;
  readonly kind: WriteKind;
}

const EXACT = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'decimal', 'numeric', 'fixed', 'bool', 'boolean']);
const DOUBLES = new Set(['double', 'real', 'double precision']);

/** How values of a column with this information_schema DATA_TYPE / COLUMN_TYPE are written. */
export function writeKindOf(dataType: string, columnType: string): WriteKind {
  const t = dataType.toLowerCase();
  if (EXACT.has(t)) return 'exact';
  if (DOUBLES.has(t)) return 'float';
  const k = valueKindOf(t, columnType);
  switch (k) {
    case 'float':
    case 'year':
    case 'bit':
    case 'bytes':
    case 'date':
    case 'datetime':
    case 'timestamp':
    case 'time':
    case 'unsupported':
      return k;
    default:
      return 'text'; // character data, ENUM, SET, JSON, UUID, INET6
  }
}

function refuse(col: WriteColumn, text: string, why: string): never {
  throw new ValueError(`column ${col.name}: ${why} (${JSON.stringify(text.slice(0, 40))})`);
}

const EXACT_TEXT = /^-?\d+(\.\d+)?$/;
const FLOAT_TEXT = /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;
const DATE_TEXT = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME_TEXT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?$/;
const TIME_TEXT = /^\d{2,3}:\d{2}:\d{2}(\.\d{1,6})?$/;
const TIMESTAMPTZ_TEXT = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(?:([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?)?$/;

/** Why a date/time text has no MySQL equivalent, or undefined. */
function dateProblem(text: string): string | undefined {
  if (/infinity/i.test(text)) return 'MySQL has no infinite dates; set a real date on the target';
  if (/ BC$/.test(text)) return 'MySQL has no dates before year 1; set a date in the Common Era on the target';
  if (/^\d{5}/.test(text)) return 'MySQL dates end at year 9999; set an earlier date on the target';
  return undefined;
}

/** One COPY-text value (null: SQL NULL) as the value to write into `col`. */
export function toMySqlValue(col: WriteColumn, text: string | null): WriteValue {
  if (text === null) return null;
  switch (col.kind) {
    case 'exact':
      if (!EXACT_TEXT.test(text)) refuse(col, text, /nan|inf/i.test(text) ? 'MySQL numbers have no NaN or infinity; set a number on the target' : 'not a number');
      return new SqlLiteral(text);
    case 'float':
      if (!FLOAT_TEXT.test(text)) refuse(col, text, /nan|inf/i.test(text) ? 'MySQL FLOAT and DOUBLE hold no NaN or infinity; set a finite number on the target' : 'not a number');
      return new SqlLiteral(text);
    case 'year':
      if (!/^\d{1,4}$/.test(text)) refuse(col, text, 'not a YEAR (0 or 1901–2155)');
      return Number(text);
    case 'bit':
      if (!/^[01]{1,64}$/.test(text)) refuse(col, text, 'not a bit string of at most 64 bits');
      return new SqlLiteral(`b'${text}'`);
    case 'bytes':
      if (!/^\\x(?:[0-9a-fA-F]{2})*$/.test(text)) refuse(col, text, 'bytea is not in hex form (\\x…)');
      return Buffer.from(text.slice(2), 'hex');
    case 'date':
    case 'datetime':
    case 'time': {
      const problem = col.kind === 'time' ? undefined : dateProblem(text);
      if (problem) refuse(col, text, problem);
      const shape = col.kind === 'date' ? DATE_TEXT : col.kind === 'datetime' ? DATETIME_TEXT : TIME_TEXT;
      if (!shape.test(text)) refuse(col, text, `not a ${col.kind.toUpperCase()} value`);
      return text;
    }
    case 'timestamp':
      return utcTimestamp(col, text);
    case 'unsupported':
      return refuse(col, text, 'spatial values cannot be written back; exclude the table from the migration');
    default:
      return text;
  }
}

/** timestamptz text at any UTC offset → the same instant as 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC (the session's zone). */
function utcTimestamp(col: WriteColumn, text: string): string {
  const problem = dateProblem(text);
  if (problem) refuse(col, text, problem);
  const m = TIMESTAMPTZ_TEXT.exec(text);
  if (!m) refuse(col, text, 'not a timestamp with time zone');
  const [, y, mo, d, h, mi, s, frac = '', sign, oh = '0', om = '0', os = '0'] = m;
  const offset = (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60 + Number(os));
  const seconds = daysFromCivil(Number(y), Number(mo), Number(d)) * 86400 + Number(h) * 3600 + Number(mi) * 60 + Number(s) - offset;
  const days = Math.floor(seconds / 86400);
  const rest = seconds - days * 86400;
  const [yy, mm, dd] = civilFromDays(days);
  if (yy < 1 || yy > 9999) refuse(col, text, 'outside the years MySQL can hold once moved to UTC');
  const p2 = (n: number) => String(n).padStart(2, '0');
  const clock = `${p2(Math.floor(rest / 3600))}:${p2(Math.floor((rest % 3600) / 60))}:${p2(rest % 60)}`;
  return `${String(yy).padStart(4, '0')}-${p2(mm)}-${p2(dd)} ${clock}${frac}`;
}

// Days since 1970-01-01 of a proleptic Gregorian date and back (H. Hinnant's algorithms): exact for every
// year, unlike Date.UTC, which reads years 0–99 as 1900–1999.
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): [number, number, number] {
  const zz = z + 719468;
  const era = Math.floor(zz / 146097);
  const doe = zz - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}
