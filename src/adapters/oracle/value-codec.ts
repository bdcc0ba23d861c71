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
 *  - CLOB/NCLOB/BLOB: streamed piece by piece through LobCopyEncoder, with the same rules as text and bytea;
 *    an empty LOB (EMPTY_CLOB(), length 0) is not NULL in Oracle and stays an empty value.
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
      return textField(v);
  }
}

/** Text → its COPY field; CHR(0) is refused (PostgreSQL text cannot hold it). */
function textField(v: string): string {
  if (v.includes('\u0000')) throw new ValueCodecError('the value contains CHR(0), which PostgreSQL text cannot store');
  return escapeCopy(v);
}

/**
 * One LOB value → its COPY text field, piece by piece, so no more than one piece is held at a time. The pieces
 * may split the value anywhere: a CLOB piece given as a string may end between the halves of a surrogate pair,
 * one given as UTF-8 bytes inside a character; those few code units or bytes are carried into the next piece.
 * Escaping is per character, so a backslash, tab or newline on a boundary needs nothing more. A BLOB becomes
 * bytea hex (`\\x` then two digits a byte), written as each piece arrives.
 */
export class LobCopyEncoder {
  private started = false;
  private carryText = '';
  private carryBytes: Uint8Array = new Uint8Array(0);

  constructor(private readonly kind: 'text' | 'binary') {}

  /** The COPY text of the next piece (may be ''). */
  piece(p: string | Uint8Array): string {
    const head = this.started ? '' : this.kind === 'binary' ? '\\\\x' : '';
    this.started = true;
    if (this.kind === 'binary') {
      if (typeof p === 'string') throw new ValueCodecError('a BLOB piece arrived as text');
      return head + Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('hex');
    }
    let s: string;
    if (typeof p === 'string') {
      s = this.carryText + p;
      this.carryText = '';
    } else {
      const bytes = this.carryBytes.length ? Buffer.concat([this.carryBytes, p]) : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
      const whole = completeUtf8(bytes);
      this.carryBytes = Uint8Array.prototype.slice.call(bytes, whole);
      s = this.carryText + bytes.toString('utf8', 0, whole);
      this.carryText = '';
    }
    const last = s.charCodeAt(s.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      this.carryText = s.slice(-1);
      s = s.slice(0, -1);
    }
    return head + textField(s);
  }

  /** The rest of the field once the last piece is in: '' unless a piece ended inside a character. */
  end(): string {
    if (!this.started) return this.kind === 'binary' ? '\\\\x' : '';
    if (this.carryBytes.length) throw new ValueCodecError('the CLOB ends inside a UTF-8 character');
    const rest = this.carryText;
    this.carryText = '';
    return escapeCopy(rest);
  }
}

/** How many leading bytes of `b` are whole UTF-8 characters (a character cut at the end is left out). */
function completeUtf8(b: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, b.length); back++) {
    const c = b[b.length - back];
    if ((c & 0xc0) === 0x80) continue; // a continuation byte: look further back for the lead byte
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return need > back ? b.length - back : b.length;
  }
  return b.length;
}
