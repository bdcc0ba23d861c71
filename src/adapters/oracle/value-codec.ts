/**
 * Oracle values, as the snapshot's select lists render them (snapshot-select.ts), → PostgreSQL COPY text
 * (core/copy-text.ts session settings: ISO dates, UTC, hex bytea). Pure, and the one place these rules live:
 *  - NUMBER: exact decimal strings in any form Oracle or the driver gives ('.5', '-1.2E+30', '-0') become
 *    plain decimals, so integer columns accept them too; BINARY_FLOAT/DOUBLE keep NaN and ±Infinity.
 *  - DATE/TIMESTAMP: 'SYYYY-MM-DD HH24:MI:SS[.FF9]'; a negative year is BC (neither calendar has a year 0);
 *    fractions beyond microseconds are cut off (truncated, never rounded: rounding could change the day).
 *  - TIMESTAMP WITH [LOCAL] TIME ZONE: read as UTC (SYS_EXTRACT_UTC) and written with +00.
 *  - INTERVAL: Oracle's '+YY-MM' and '+DD HH:MI:SS.FF' become PostgreSQL interval text.
 *  - RAW/BLOB: hex → bytea hex; RAW(16) from SYS_GUID() → uuid.
 *  - Text: '' is NULL (Oracle stores '' as NULL); CHR(0) is refused, PostgreSQL text cannot hold it.
 */

export type OracleValueKind = 'number' | 'float' | 'date' | 'timestamp' | 'timestamptz' | 'interval-ym' | 'interval-ds' | 'text' | 'binary' | 'uuid';

export class ValueCodecError extends Error {}

/** COPY text escaping of a text value (backslash, newline, carriage return, tab). */
export function escapeCopy(s: string): string {
  return s.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
}

/** '1.5E+3' / '.5' / '-0' / '00012' → '1500' / '0.5' / '0' / '12'. Exact: string arithmetic only. */
export function plainDecimal(v: string): string {
  const m = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(v);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new ValueCodecError(`'${v}' is not a number`);
  const sign = m[1] === '-' ? '-' : '';
  let digits = (m[2] || '') + (m[3] || '');
  let point = (m[2] || '').length + Number(m[4] ?? 0);
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  }
  if (point > digits.length) digits += '0'.repeat(point - digits.length);
  const int = digits.slice(0, point).replace(/^0+(?=\d)/, '') || '0';
  const frac = digits.slice(point).replace(/0+$/, '');
  const out = frac ? `${int}.${frac}` : int;
  return sign && /[1-9]/.test(out) ? `-${out}` : out;
}

function floatText(v: string): string {
  const t = v.trim();
  if (/^(nan|~)$/i.test(t)) return 'NaN';
  if (/^(\+?inf(inity)?)$/i.test(t)) return 'Infinity';
  if (/^-(inf(inity)?|~)$/i.test(t)) return '-Infinity';
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) throw new ValueCodecError(`'${v}' is not a floating-point number`);
  return t;
}

const DATETIME = /^\s*([+-]?)(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?\s*$/;

function datetimeText(v: string, zone: boolean): string {
  const m = DATETIME.exec(v);
  if (!m) throw new ValueCodecError(`'${v}' is not a date/time in the form SYYYY-MM-DD HH24:MI:SS[.FF]`);
  const [, sign, y, mo, d, h, mi, s, frac] = m;
  const micro = frac ? frac.slice(0, 6).replace(/0+$/, '') : '';
  const year = y.replace(/^0+(?=\d{4})/, '');
  return `${year}-${mo}-${d} ${h}:${mi}:${s}${micro ? `.${micro}` : ''}${zone ? '+00' : ''}${sign === '-' ? ' BC' : ''}`;
}

function intervalYm(v: string): string {
  const m = /^\s*([+-]?)(\d+)-(\d+)\s*$/.exec(v);
  if (!m) throw new ValueCodecError(`'${v}' is not an INTERVAL YEAR TO MONTH`);
  const s = m[1] === '-' ? '-' : '';
  return `${s}${Number(m[2])} years ${s}${Number(m[3])} mons`;
}

function intervalDs(v: string): string {
  const m = /^\s*([+-]?)(\d+) (\d+):(\d+):(\d+)(?:\.(\d+))?\s*$/.exec(v);
  if (!m) throw new ValueCodecError(`'${v}' is not an INTERVAL DAY TO SECOND`);
  const s = m[1] === '-' ? '-' : '';
  const micro = m[6] ? m[6].slice(0, 6).replace(/0+$/, '') : '';
  return `${s}${Number(m[2])} days ${s}${m[3].padStart(2, '0')}:${m[4]}:${m[5]}${micro ? `.${micro}` : ''}`;
}

function hex(v: string): string {
  const h = v.trim().toLowerCase();
  if (!/^([0-9a-f]{2})*$/.test(h)) throw new ValueCodecError(`'${v.slice(0, 40)}' is not hexadecimal`);
  return h;
}

/** One value → its COPY text field (`\N` for NULL). */
export function toCopyText(kind: OracleValueKind, v: string | null): string {
  if (v === null || v === '') return '\\N';
  switch (kind) {
    case 'number':
      return plainDecimal(v);
    case 'float':
      return floatText(v);
    case 'date':
    case 'timestamp':
      return datetimeText(v, false);
    case 'timestamptz':
      return datetimeText(v, true);
    case 'interval-ym':
      return intervalYm(v);
    case 'interval-ds':
      return intervalDs(v);
    case 'binary':
      return `\\\\x${hex(v)}`;
    case 'uuid': {
      const h = hex(v);
      if (h.length !== 32) throw new ValueCodecError(`a uuid column holds ${h.length / 2} bytes, not 16`);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
    case 'text':
      if (v.includes('\u0000')) throw new ValueCodecError('the value contains CHR(0), which PostgreSQL text cannot store');
      return escapeCopy(v);
  }
}

/** A row of values → one COPY text line (with its newline). */
export function copyLine(kinds: readonly OracleValueKind[], values: readonly (string | null)[]): string {
  return values.map((v, i) => toCopyText(kinds[i], v)).join('\t') + '\n';
}
