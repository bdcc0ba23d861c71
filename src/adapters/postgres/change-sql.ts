/**
 * SQL for applying change events to a PostgreSQL-compatible database: column types read from the
 * catalog of the database written to, and statement texts (set-based and one row at a time).
 *
 * Values travel as text and are cast to each column's exact type (`format_type`), so every type
 * round-trips through its own input function, as in COPY. Set-based statements take one text[] per
 * column and unnest them: one statement text per (table, column set), prepared once per session, no
 * parameter-count limit, and the planner sees a join against the primary key.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { DataEvent, Row } from '../../core/change-event.js';
import { UserError } from '../../infra/errors.js';
import { qualified, quoteIdent } from './connection.js';
import { mapQueryError } from './errors.js';

export interface ColumnInfo {
  /** format_type(): the type with its modifiers, e.g. numeric(10,2), character varying(20), public.mood[]. */
  type: string;
  /** GENERATED ALWAYS AS IDENTITY: inserts need OVERRIDING SYSTEM VALUE, updates never set it. */
  identityAlways: boolean;
  /** GENERATED ALWAYS AS (expr) STORED: computed by the database, never written. */
  generated: boolean;
}

export interface TableInfo {
  schema: string;
  table: string;
  qualified: string;
  columns: Map<string, ColumnInfo>;
  /** Column sets of unique indexes (primary key included) whose columns are all NOT NULL. */
  uniqueKeys: string[][];
}

export async function loadTableInfo(client: pg.Client, schema: string, table: string, side: string): Promise<TableInfo> {
  const name = qualified(schema, table);
  // Both sent at once (the apply session is pipelined): one round trip per table, not two.
  const columnsQuery = client.query<{ name: string; type: string; identity: string; generated: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attidentity AS identity, a.attgenerated AS generated
     FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [name],
  );
  const keysQuery = client.query<{ cols: string[] }>(
    `SELECT array_agg(a.attname::text) AS cols FROM pg_index i
     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])
     WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL
     GROUP BY i.indexrelid HAVING bool_and(a.attnotnull)`,
    [name],
  );
  keysQuery.catch(() => undefined); // fails with the first when the table is missing: reported once, below
  try {
    const r = await columnsQuery;
    const columns = new Map<string, ColumnInfo>();
    for (const c of r.rows) columns.set(c.name, { type: c.type, identityAlways: c.identity === 'a', generated: c.generated !== '' });
    const u = await keysQuery;
    // pg returns text[] as its text form with our raw type parsers: '{a,b}' (names are plain here, or quoted).
    const uniqueKeys = u.rows.map((x) => parseTextArray(x.cols as unknown as string | string[]));
    return { schema, table, qualified: name, columns, uniqueKeys };
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === '42P01' || code === '3F000') {
      throw new UserError(`table ${name} does not exist in the ${side} database, but changes to it are queued`, `create it (yb-voyager import schema) and rerun`, 'not-found');
    }
    throw mapQueryError(e, `reading the columns of ${name}`);
  }
}

/** A PostgreSQL text[] in its text form ({a,"b c","d\\"e"}) → its elements (no NULLs expected). */
function parseTextArray(v: string | string[]): string[] {
  if (Array.isArray(v)) return v;
  const out: string[] = [];
  const body = v.slice(1, -1);
  let i = 0;
  while (i < body.length) {
    let item = '';
    if (body[i] === '"') {
      i++;
      while (i < body.length && body[i] !== '"') {
        if (body[i] === '\\') i++;
        item += body[i++];
      }
      i++;
    } else {
      while (i < body.length && body[i] !== ',') item += body[i++];
    }
    out.push(item);
    i++; // the comma
  }
  return out;
}

/**
 * Whether the event keys identify at most one row here: some unique NOT NULL index lies within the key
 * columns. Otherwise (REPLICA IDENTITY FULL on a table without a primary key) rows are matched by all their
 * values, NULLs included, and changed one at a time, since identical rows may exist.
 */
export function identifiesRows(t: TableInfo, keyCols: readonly string[]): boolean {
  return t.uniqueKeys.some((cols) => cols.length > 0 && cols.every((c) => keyCols.includes(c)));
}

function column(t: TableInfo, name: string): ColumnInfo {
  const c = t.columns.get(name);
  if (!c) {
    throw new UserError(
      `column ${quoteIdent(name)} of ${t.qualified} is in the change stream but not in the database being written to`,
      'the table definitions differ (DDL during the migration is not supported); make them the same and rerun',
      'config',
    );
  }
  return c;
}

/** Columns an event may write: generated columns never are. */
export function writable(t: TableInfo, names: readonly string[]): string[] {
  return names.filter((n) => !column(t, n).generated);
}

/** Columns an UPDATE may set: neither generated nor identity ALWAYS (the source could not change those either). */
export function settable(t: TableInfo, names: readonly string[]): string[] {
  return names.filter((n) => {
    const c = column(t, n);
    return !c.generated && !c.identityAlways;
  });
}

const cast = (t: TableInfo, col: string, expr: string) => `${expr}::${column(t, col).type}`;

function overriding(t: TableInfo, cols: readonly string[]): string {
  return cols.some((c) => column(t, c).identityAlways) ? ' OVERRIDING SYSTEM VALUE' : '';
}

function named(text: string): pg.QueryConfig {
  return { name: 'ybv_' + createHash('sha1').update(text).digest('hex').slice(0, 20), text };
}

function keyMatch(t: TableInfo, keyCols: readonly string[], valueOf: (i: number) => string): string {
  return keyCols.map((k, i) => `t.${quoteIdent(k)} = ${cast(t, k, valueOf(i))}`).join(' AND ');
}

/** pg_type OID of text: the element type a binary text[] names. */
const TEXT_OID = 25;

/** Values up to this many UTF-16 units are copied byte by byte when ASCII: cheaper than a call into C++ each. */
const SHORT_VALUE = 64;

/**
 * A text[] parameter in PostgreSQL's binary array format (array_send: dimensions, then each element's length and
 * UTF-8 bytes, -1 for NULL). pg sends a Buffer parameter as binary, and the server reads it with array_recv: no
 * quoting or escaping here, no array literal for the server to parse, no huge intermediate string (the importer
 * serialises every value once per group).
 *
 * Most values are short ASCII (numbers, timestamps, names): those are copied here, one byte per character,
 * into room reserved at 3 bytes per UTF-16 unit (UTF-8's most), and the buffer is cut to what was written.
 * Measuring and writing each through Buffer.byteLength and write was a fifth of the importer's CPU on wide rows.
 */
export function textArray(values: readonly (string | null | undefined)[]): Buffer {
  let room = 20;
  let hasNull = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    room += 4;
    if (v === null || v === undefined) hasNull = 1;
    else room += v.length <= SHORT_VALUE ? 3 * v.length : Buffer.byteLength(v);
  }
  const b = Buffer.allocUnsafe(room);
  b.writeInt32BE(1, 0); // one dimension
  b.writeInt32BE(hasNull, 4);
  b.writeUInt32BE(TEXT_OID, 8);
  b.writeInt32BE(values.length, 12);
  b.writeInt32BE(1, 16); // lower bound
  let at = 20;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      b.writeInt32BE(-1, at);
      at += 4;
      continue;
    }
    const n = v.length <= SHORT_VALUE ? writeShort(b, v, at + 4) : b.write(v, at + 4);
    b.writeInt32BE(n, at);
    at += 4 + n;
  }
  return b.subarray(0, at);
}

/** Writes `v` as UTF-8 at `at`; returns its byte length. */
function writeShort(b: Buffer, v: string, at: number): number {
  for (let j = 0; j < v.length; j++) {
    const c = v.charCodeAt(j);
    if (c >= 0x80) return b.write(v, at); // not ASCII: the encoder's way (surrogates and all)
    b[at + j] = c;
  }
  return v.length;
}

const aliases = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/**
 * `(SELECT unnest($1::text[]) AS <names[0]>, …)`: the text[] parameters as rows, one column each. Set-returning
 * functions in a select list run in lockstep (PostgreSQL 10 on: the same rows and NULL padding as
 * unnest(a, b, …) in FROM) without first copying each array's elements into a tuplestore of their own, which a
 * FROM-clause unnest does: an UPDATE of 6.7 k wide rows (9 arrays) took 66 ms instead of 74 ms (median of 40
 * each, interleaved).
 */
function unnested(names: readonly string[]): string {
  return `(SELECT ${names.map((n, i) => `unnest($${i + 1}::text[]) AS ${n}`).join(', ')})`;
}

// ---- set-based ----

export function deleteMany(t: TableInfo, keyCols: readonly string[], keys: readonly Row[]): pg.QueryConfig {
  const text = `DELETE FROM ${t.qualified} AS t USING ${unnested(aliases('k', keyCols.length))} AS v
    WHERE ${keyMatch(t, keyCols, (i) => `v.k${i}`)}`;
  return { ...named(text), values: keyCols.map((k) => textArray(keys.map((r) => r[k]))) };
}

/** `rows[i].key` matches the row (its original key); `rows[i].values` holds every column of setCols. */
export function updateMany(t: TableInfo, keyCols: readonly string[], setCols: readonly string[], rows: readonly { key: Row; values: Row }[]): pg.QueryConfig {
  const sets = setCols.map((c, i) => `${quoteIdent(c)} = ${cast(t, c, `v.c${i}`)}`).join(', ');
  const text = `UPDATE ${t.qualified} AS t SET ${sets}
    FROM ${unnested([...aliases('k', keyCols.length), ...aliases('c', setCols.length)])} AS v
    WHERE ${keyMatch(t, keyCols, (i) => `v.k${i}`)}`;
  const values = [...keyCols.map((k) => textArray(rows.map((r) => r.key[k]))), ...setCols.map((c) => textArray(rows.map((r) => r.values[c])))];
  return { ...named(text), values };
}

/** SELECT of the rows `keys` identify (the same match as deleteMany): FK actions are done for them first. */
export function rowsByKeysSql(t: TableInfo, keyCols: readonly string[]): string {
  return `SELECT t.* FROM ${t.qualified} AS t, ${unnested(aliases('k', keyCols.length))} AS v WHERE ${keyMatch(t, keyCols, (i) => `v.k${i}`)}`;
}

/** `sql` run with deleteMany's parameters (the key arrays). */
export function withKeyArrays(sql: string, keyCols: readonly string[], keys: readonly Row[]): pg.QueryConfig {
  return { ...named(sql), values: keyCols.map((k) => textArray(keys.map((r) => r[k]))) };
}

export function insertMany(t: TableInfo, cols: readonly string[], rows: readonly Row[]): pg.QueryConfig {
  const text = `INSERT INTO ${t.qualified} (${cols.map(quoteIdent).join(', ')})${overriding(t, cols)}
    SELECT ${cols.map((c, i) => cast(t, c, `v.c${i}`)).join(', ')} FROM ${unnested(aliases('c', cols.length))} AS v`;
  return { ...named(text), values: cols.map((c) => textArray(rows.map((r) => r[c]))) };
}

// ---- one event at a time (the ordered fallback) ----

/**
 * Match one row by all its identity values when they do not form a unique key: NULL-safe, compared through
 * the column type's text form (so types without an equality operator, like json, work too), and only ONE
 * row of several identical ones (the source changed one).
 */
function oneRowByValues(t: TableInfo, keyCols: readonly string[], valueOf: (i: number) => string): string {
  const match = keyCols.map((k, i) => `x.${quoteIdent(k)}::text IS NOT DISTINCT FROM (${cast(t, k, valueOf(i))})::text`).join(' AND ');
  return `(t.tableoid, t.ctid) = (SELECT x.tableoid, x.ctid FROM ${t.qualified} AS x WHERE ${match} LIMIT 1)`;
}

/** The statement that does exactly what the source did for this event, or undefined when it changes nothing. */
export function oneEvent(t: TableInfo, keyCols: readonly string[], e: DataEvent): pg.QueryConfig | undefined {
  const key = keyCols.map((k) => e.key[k] ?? null);
  const byKey = identifiesRows(t, keyCols);
  const where = (valueOf: (i: number) => string) => (byKey ? keyMatch(t, keyCols, valueOf) : oneRowByValues(t, keyCols, valueOf));
  if (e.op === 'd') {
    const text = `DELETE FROM ${t.qualified} AS t WHERE ${where((i) => `$${i + 1}`)}`;
    return { ...named(text), values: key };
  }
  const after = e.after ?? {};
  if (e.op === 'c') {
    const cols = writable(t, Object.keys(after).sort());
    const text = `INSERT INTO ${t.qualified} (${cols.map(quoteIdent).join(', ')})${overriding(t, cols)}
      VALUES (${cols.map((c, i) => cast(t, c, `$${i + 1}`)).join(', ')})`;
    return { ...named(text), values: cols.map((c) => after[c]) };
  }
  const keyMoved = keyCols.some((k) => k in after && after[k] !== e.key[k]);
  const cols = settable(t, Object.keys(after).filter((c) => keyMoved || !keyCols.includes(c)).sort());
  if (!cols.length) return undefined;
  const sets = cols.map((c, i) => `${quoteIdent(c)} = ${cast(t, c, `$${i + 1}`)}`).join(', ');
  const text = `UPDATE ${t.qualified} AS t SET ${sets} WHERE ${where((i) => `$${cols.length + i + 1}`)}`;
  return { ...named(text), values: [...cols.map((c) => after[c]), ...key] };
}
