/**
 * A column's MySQL default as a PostgreSQL DEFAULT clause. The two servers show defaults differently in
 * information_schema.COLUMNS: MariaDB as an SQL expression ('text' quoted, NULL, current_timestamp(3),
 * (1 + 2)); MySQL 8 as the raw value, with EXTRA = DEFAULT_GENERATED when it is an expression.
 */
import { quoteLiteral } from '../../core/sql-names.js';
import type { ServerFlavor } from './database-identity.js';
import type { MyColumn } from './schema-reader.js';
import { tokenizeMySql, translateMySql } from './sql-translate.js';

export type DefaultResult =
  | { kind: 'none' }
  | { kind: 'sql'; sql: string }
  /** A default PostgreSQL cannot take: left out, with the reason. */
  | { kind: 'dropped'; zeroDate: boolean; reason: string };

const NOW = /^(current_timestamp|now|localtimestamp|localtime)(\s*\(\s*(\d*)\s*\))?$/i;
const TODAY = /^(curdate\s*\(\s*\)|current_date(\s*\(\s*\))?)$/i;
const ZERO_DATE = /^0000-00-00|^\d{4}-00-|^\d{4}-\d{2}-00/;

/** `pgType` is the column's PostgreSQL type (mapColumnType). */
export function convertDefault(c: MyColumn, pgType: string, flavor: ServerFlavor['flavor']): DefaultResult {
  const raw = c.default;
  if (raw === null) return { kind: 'none' };
  let literal: string | undefined;
  let expression: string | undefined;
  if (flavor === 'mysql') {
    if (/DEFAULT_GENERATED/i.test(c.extra)) expression = raw;
    else literal = raw;
  } else {
    const t = tokenizeMySql(raw.trim()).filter((x) => x.kind !== 'space');
    if (t.length === 1 && t[0].kind === 'word' && t[0].text.toUpperCase() === 'NULL') return { kind: 'none' };
    if (t.length === 1 && t[0].kind === 'string') literal = t[0].value;
    else if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(raw.trim())) literal = raw.trim();
    else if (t.length === 1 && t[0].kind === 'bits') literal = String(BigInt(`0b${t[0].value || '0'}`));
    else expression = raw;
  }

  if (expression !== undefined) {
    const e = expression.trim().replace(/^\((.*)\)$/s, '$1').trim();
    const now = NOW.exec(e);
    if (now) {
      const p = now[3] ? `(${now[3]})` : '';
      if (pgType.startsWith('timestamptz')) return { kind: 'sql', sql: `CURRENT_TIMESTAMP${p}` };
      if (pgType.startsWith('timestamp')) return { kind: 'sql', sql: `LOCALTIMESTAMP${p}` };
      if (pgType === 'date') return { kind: 'sql', sql: 'CURRENT_DATE' };
    }
    if (TODAY.test(e) && pgType === 'date') return { kind: 'sql', sql: 'CURRENT_DATE' };
    const t = translateMySql(e);
    if (t.ok) return { kind: 'sql', sql: `(${t.sql})` };
    return { kind: 'dropped', zeroDate: false, reason: `the default ${expression} of ${c.name} was left out (${t.reason})` };
  }

  const v = literal!;
  if (/^(date|timestamp|timestamptz)/.test(pgType) && ZERO_DATE.test(v)) {
    return { kind: 'dropped', zeroDate: true, reason: `${c.name} defaults to the zero date '${v}', which PostgreSQL does not have: the default was left out` };
  }
  if (pgType.startsWith('bit(')) {
    const width = Number(/\d+/.exec(pgType)![0]);
    const bits = /^\d+$/.test(v) ? BigInt(v).toString(2) : v;
    return { kind: 'sql', sql: `B'${bits.padStart(width, '0')}'` };
  }
  if (pgType === 'bytea') return { kind: 'sql', sql: `'\\x${Buffer.from(v, 'utf8').toString('hex')}'::bytea` };
  // A TIMESTAMP default is shown in the session's time zone, which is UTC on our connections.
  if (pgType.startsWith('timestamptz')) return { kind: 'sql', sql: quoteLiteral(`${v}+00`) };
  if (/^(smallint|integer|bigint|numeric|real|double)/.test(pgType) && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(v)) return { kind: 'sql', sql: v };
  return { kind: 'sql', sql: quoteLiteral(v) };
}
