/**
 * SQL for applying change events to MySQL/MariaDB (fall-back): set-based statements per table (DELETE … IN
 * by keys, one UPDATE per row sent several to a round trip, multi-row INSERT) and the one-event statements
 * of the ordered fallback. Values are written as literals escaped by mysql2 from write-values.ts's values
 * (numbers unquoted, bytes as X'…'), so each statement is exact whatever the column type; statements are cut
 * to stay well under the server's max_allowed_packet.
 */
import mysql from 'mysql2/promise';
import type { DataEvent, Row } from '../../core/change-event.js';
import { column, identifiesRows, writable, type ApplyTable } from './apply-tables.js';
import { toMySqlValue } from './write-values.js';

/** One value of column `col` as SQL. */
function literal(t: ApplyTable, col: string, text: string | null | undefined): string {
  return mysql.escape(toMySqlValue(column(t, col), text ?? null));
}

const idents = (t: ApplyTable, cols: readonly string[]) => cols.map((c) => column(t, c).ident);

/**
 * `items` joined by `sep` between `head` and `tail`, as few statements as fit in `maxBytes` each (an item
 * bigger than that goes alone: the server decides whether it fits its packet).
 */
export function pack(head: string, items: readonly string[], sep: string, tail: string, maxBytes: number): string[] {
  const out: string[] = [];
  let cur = '';
  let size = 0;
  const fixed = Buffer.byteLength(head) + Buffer.byteLength(tail);
  for (const item of items) {
    const n = Buffer.byteLength(item);
    if (cur && fixed + size + sep.length + n > maxBytes) {
      out.push(head + cur + tail);
      cur = '';
      size = 0;
    }
    size += cur ? sep.length + n : n;
    cur += cur ? sep + item : item;
  }
  if (cur) out.push(head + cur + tail);
  return out;
}

function tuple(t: ApplyTable, cols: readonly string[], row: Row): string {
  return `(${cols.map((c) => literal(t, c, row[c])).join(', ')})`;
}

/** Rows whose key is one of `keys` (key columns unique and NOT NULL here). */
export function deleteMany(t: ApplyTable, keyCols: readonly string[], keys: readonly Row[], maxBytes: number): string[] {
  const target = keyCols.length === 1 ? idents(t, keyCols)[0] : `(${idents(t, keyCols).join(', ')})`;
  const items = keys.map((k) => (keyCols.length === 1 ? literal(t, keyCols[0], k[keyCols[0]]) : tuple(t, keyCols, k)));
  return pack(`DELETE FROM ${t.ident} WHERE ${target} IN (`, items, ', ', ')', maxBytes);
}

/** One UPDATE per row, several per statement text (the session allows multiple statements). */
export function updateMany(t: ApplyTable, keyCols: readonly string[], setCols: readonly string[], rows: readonly { key: Row; values: Row }[], maxBytes: number): string[] {
  const items = rows.map((r) => `UPDATE ${t.ident} SET ${assignments(t, setCols, r.values)} WHERE ${keyMatch(t, keyCols, r.key, false)}`);
  return pack('', items, ';\n', '', maxBytes);
}

export function insertMany(t: ApplyTable, cols: readonly string[], rows: readonly Row[], maxBytes: number): string[] {
  return pack(`INSERT INTO ${t.ident} (${idents(t, cols).join(', ')}) VALUES `, rows.map((r) => tuple(t, cols, r)), ', ', '', maxBytes);
}

function assignments(t: ApplyTable, cols: readonly string[], values: Row): string {
  return cols.map((c) => `${column(t, c).ident} = ${literal(t, c, values[c])}`).join(', ');
}

/** By key (`=`), or NULL-safe by every value (`<=>`) when the values are all a keyless table has. */
function keyMatch(t: ApplyTable, keyCols: readonly string[], key: Row, nullSafe: boolean): string {
  return keyCols.map((k) => `${column(t, k).ident} ${nullSafe ? '<=>' : '='} ${literal(t, k, key[k])}`).join(' AND ');
}

/**
 * The statement that does exactly what the source did for this event, or undefined when it changes nothing.
 * Without a unique key among the key columns, ONE of several identical rows is changed (the source changed one).
 */
export function oneEvent(t: ApplyTable, keyCols: readonly string[], e: DataEvent): string | undefined {
  const byKey = identifiesRows(t, keyCols);
  const where = `WHERE ${keyMatch(t, keyCols, e.key, !byKey)}${byKey ? '' : ' LIMIT 1'}`;
  if (e.op === 'd') return `DELETE FROM ${t.ident} ${where}`;
  const after = e.after ?? {};
  if (e.op === 'c') {
    const cols = writable(t, Object.keys(after).sort());
    return `INSERT INTO ${t.ident} (${idents(t, cols).join(', ')}) VALUES ${tuple(t, cols, after)}`;
  }
  const keyMoved = keyCols.some((k) => k in after && after[k] !== e.key[k]);
  const cols = writable(t, Object.keys(after).filter((c) => keyMoved || !keyCols.includes(c)).sort());
  if (!cols.length) return undefined;
  return `UPDATE ${t.ident} SET ${assignments(t, cols, after)} ${where}`;
}
