/**
 * The tables fall-back writes into, as the apply session sees them: change events name tables and columns
 * the PostgreSQL way (the target's schema, lower-cased names, see names.ts), while the source keeps its own
 * spelling (tables may be mixed-case on Linux). Each table is looked up once per session, case-insensitively,
 * in the connection's database, with the column types values are written by (write-values.ts), the generated
 * columns (never written) and the unique keys that tell whether an event's key identifies one row.
 */
import type mysql from 'mysql2/promise';
import { DbError, UserError } from '../../infra/errors.js';
import { quoteMyIdent, rows } from './connection.js';
import { mapQueryError } from './errors.js';
import { pgName } from './names.js';
import { writeKindOf, type WriteColumn } from './write-values.js';

export interface ApplyColumn extends WriteColumn {
  /** Quoted MySQL name. */
  readonly ident: string;
  /** VIRTUAL or STORED generated: computed by MySQL, never written. */
  readonly generated: boolean;
}

export interface ApplyTable {
  /** The MySQL name, quoted (the session's database holds it). */
  readonly ident: string;
  /** As PostgreSQL and the events name it (lower-cased): for counts and messages. */
  readonly pgName: string;
  /** By the name events use (lower-cased). */
  readonly columns: ReadonlyMap<string, ApplyColumn>;
  /** Unique keys (primary key included) whose columns are all NOT NULL, as event column names. */
  readonly uniqueKeys: readonly (readonly string[])[];
}

export async function loadApplyTable(conn: mysql.Connection, database: string, table: string): Promise<ApplyTable> {
  try {
    const found = await rows<{ name: string }>(
      conn,
      `SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' AND LOWER(TABLE_NAME) = LOWER(?)`,
      [database, table],
    );
    if (!found.length) {
      throw new DbError('not-found', `changes to table ${table} are queued, but the source database '${database}' has no table of that name (in any letter case)`,
        'create the table on the source as it was before the migration, then rerun import data to source', undefined);
    }
    if (found.length > 1) {
      throw new UserError(`changes to table ${table} are queued, but the source database '${database}' has several tables of that name in different letter case (${found.map((f) => f.name).join(', ')})`,
        'rename all but one on the source (PostgreSQL names are lower-cased, so only one can be migrated), then rerun', 'config');
    }
    const name = found[0].name;
    const cols = await rows<{ name: string; dataType: string; columnType: string; extra: string; nullable: string }>(
      conn,
      `SELECT COLUMN_NAME AS name, DATA_TYPE AS dataType, COLUMN_TYPE AS columnType, EXTRA AS extra, IS_NULLABLE AS nullable
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
      [database, name],
    );
    const keys = await rows<{ idx: string; col: string }>(
      conn,
      `SELECT INDEX_NAME AS idx, COLUMN_NAME AS col FROM information_schema.STATISTICS
        WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0 ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
      [database, name],
    );
    const columns = new Map<string, ApplyColumn>();
    const nullable = new Set<string>();
    for (const c of cols) {
      // MySQL 8 marks expression defaults DEFAULT_GENERATED: those are ordinary columns.
      const generated = /\b(VIRTUAL|STORED|PERSISTENT) GENERATED\b/i.test(c.extra);
      columns.set(pgName(c.name), { name: c.name, ident: quoteMyIdent(c.name), kind: writeKindOf(c.dataType, c.columnType), generated });
      if (c.nullable === 'YES') nullable.add(c.name);
    }
    const byIndex = new Map<string, string[]>();
    for (const k of keys) byIndex.set(k.idx, [...(byIndex.get(k.idx) ?? []), k.col]);
    const uniqueKeys = [...byIndex.values()].filter((cs) => cs.every((c) => !nullable.has(c))).map((cs) => cs.map(pgName));
    return { ident: quoteMyIdent(name), pgName: pgName(name), columns, uniqueKeys };
  } catch (e) {
    if (e instanceof DbError || e instanceof UserError) throw e;
    throw mapQueryError(e, `reading the columns of table ${table} in the source database`);
  }
}

/**
 * Whether the event keys identify at most one row here: some unique NOT NULL key lies within the key columns.
 * Otherwise (a table without a primary key, matched by all its values) rows are changed one at a time.
 */
export function identifiesRows(t: ApplyTable, keyCols: readonly string[]): boolean {
  return t.uniqueKeys.some((cols) => cols.length > 0 && cols.every((c) => keyCols.includes(c)));
}

export function column(t: ApplyTable, name: string): ApplyColumn {
  const c = t.columns.get(name);
  if (!c) {
    throw new UserError(
      `column ${name} of table ${t.pgName} is in the change stream but not in the source database`,
      'the table definitions differ (DDL during the migration is not supported); make them the same and rerun',
      'config',
    );
  }
  return c;
}

/** Columns an event may write: generated columns never are. */
export function writable(t: ApplyTable, names: readonly string[]): string[] {
  return names.filter((n) => !column(t, n).generated);
}
