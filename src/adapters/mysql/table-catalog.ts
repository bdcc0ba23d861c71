/**
 * What the data path needs to know about the source's tables: columns with their MySQL types (values are
 * rendered from them, see values.ts), primary keys, sizes and which storage engine holds them. Names are the
 * MySQL ones; `pgName` gives the names the rest of the tool sees (TARGET_SCHEMA, lower-cased).
 * schema-reader.ts reads everything export schema converts (with SHOW CREATE of every object); this reads only
 * what copying rows needs, in three queries, at each export and stream start — hence Data*, not My*.
 */
import type mysql from 'mysql2/promise';
import { rows } from './connection.js';
import { mapQueryError } from './errors.js';
import { pgName, TARGET_SCHEMA } from './names.js';
import { generatedOnTarget } from './type-map.js';
import { valueKindOf, type ValueKind } from './values.js';

export interface DataColumn {
  /** As MySQL names it (for SQL on the source). */
  readonly name: string;
  /** As PostgreSQL names it (events, files, target). */
  readonly pgName: string;
  readonly dataType: string;
  readonly columnType: string;
  readonly kind: ValueKind;
  /** BIT(n): n. */
  readonly bits: number;
  /** Generated on PostgreSQL too (its expression translated): computed there, not copied. A MySQL generated column whose expression did not translate is a plain column there, and copied. */
  readonly generated: boolean;
}

export interface DataTable {
  readonly database: string;
  /** As MySQL names it. */
  readonly name: string;
  /** TARGET_SCHEMA and the lower-cased name. */
  readonly schema: string;
  readonly table: string;
  readonly columns: readonly DataColumn[];
  /** Primary key columns (MySQL names), in key order. */
  readonly pk: readonly string[];
  readonly engine: string;
  readonly estimatedRows: number;
  readonly dataBytes: number;
  readonly partitioned: boolean;
}

async function query<T>(conn: mysql.Connection, sql: string, params: unknown[]): Promise<T[]> {
  try {
    return await rows<T>(conn, sql, params);
  } catch (e) {
    throw mapQueryError(e, 'reading the source catalog');
  }
}

/** Every base table of `database`, with columns and keys. */
export async function listTables(conn: mysql.Connection, database: string): Promise<DataTable[]> {
  const tables = await query<{ name: string; engine: string | null; est: string | null; bytes: string | null; opts: string | null }>(
    conn,
    `SELECT TABLE_NAME AS name, ENGINE AS engine, CAST(TABLE_ROWS AS CHAR) AS est, CAST(DATA_LENGTH AS CHAR) AS bytes, CREATE_OPTIONS AS opts
       FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`,
    [database],
  );
  const cols = await query<{ t: string; name: string; dataType: string; columnType: string; extra: string; bits: string | null; gen: string | null }>(
    conn,
    `SELECT TABLE_NAME AS t, COLUMN_NAME AS name, DATA_TYPE AS dataType, COLUMN_TYPE AS columnType, EXTRA AS extra,
            CAST(NUMERIC_PRECISION AS CHAR) AS bits, GENERATION_EXPRESSION AS gen
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    [database],
  );
  const keys = await query<{ t: string; col: string }>(
    conn,
    `SELECT TABLE_NAME AS t, COLUMN_NAME AS col FROM information_schema.KEY_COLUMN_USAGE
      WHERE TABLE_SCHEMA = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    [database],
  );
  const colsOf = new Map<string, DataColumn[]>();
  for (const c of cols) {
    const list = colsOf.get(c.t) ?? [];
    list.push({
      name: c.name,
      pgName: pgName(c.name),
      dataType: c.dataType.toLowerCase(),
      columnType: c.columnType.toLowerCase(),
      kind: valueKindOf(c.dataType, c.columnType),
      bits: Number(c.bits ?? 0),
      generated: generatedOnTarget({ generation: c.gen !== null && /GENERATED/i.test(c.extra) ? { expression: c.gen } : undefined }),
    });
    colsOf.set(c.t, list);
  }
  const pkOf = new Map<string, string[]>();
  for (const k of keys) pkOf.set(k.t, [...(pkOf.get(k.t) ?? []), k.col]);
  return tables.map((t) => ({
    database,
    name: t.name,
    schema: TARGET_SCHEMA,
    table: pgName(t.name),
    columns: colsOf.get(t.name) ?? [],
    pk: pkOf.get(t.name) ?? [],
    engine: t.engine ?? '',
    estimatedRows: Number(t.est ?? 0),
    dataBytes: Number(t.bytes ?? 0),
    partitioned: /partitioned/i.test(t.opts ?? ''),
  }));
}
