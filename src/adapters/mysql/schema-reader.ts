/**
 * One MySQL/MariaDB database's schema read from information_schema (and SHOW CREATE for the text of views,
 * triggers and routines) into plain objects; ddl-*.ts turn them into PostgreSQL DDL.
 */
import type mysql from 'mysql2/promise';
import { quoteMyIdent, rows } from './connection.js';
import type { ServerFlavor } from './database-identity.js';
import type { MyColumnType } from './type-map.js';

export interface MyColumn extends MyColumnType {
  readonly nullable: boolean;
  /** COLUMN_DEFAULT as the server shows it (MariaDB: an SQL expression; MySQL: the raw value). */
  readonly default: string | null;
  readonly collation: string | null;
  /** GENERATION_EXPRESSION of a generated column. */
  readonly generation: { expression: string; stored: boolean } | undefined;
  readonly comment: string;
}

export interface MyIndexPart {
  /** The column; '' for a functional key part (MySQL 8), whose expression is in `expression`. */
  readonly column: string;
  readonly expression?: string;
  /** SUB_PART: a prefix of this many characters (bytes for binary columns). */
  readonly prefix: number | null;
  readonly descending: boolean;
}

export interface MyIndex {
  readonly name: string;
  readonly unique: boolean;
  /** BTREE, HASH, FULLTEXT, SPATIAL. */
  readonly kind: string;
  readonly parts: readonly MyIndexPart[];
}

export interface MyForeignKey {
  readonly name: string;
  readonly columns: readonly string[];
  readonly refDatabase: string;
  readonly refTable: string;
  readonly refColumns: readonly string[];
  readonly onDelete: string;
  readonly onUpdate: string;
}

export interface MyCheck {
  readonly name: string;
  readonly clause: string;
}

export interface MyPartitioning {
  /** RANGE, LIST, HASH, KEY, RANGE COLUMNS, LIST COLUMNS, LINEAR HASH, LINEAR KEY. */
  readonly method: string;
  readonly expression: string;
  readonly subpartitioned: boolean;
  readonly partitions: readonly { name: string; description: string | null }[];
}

export interface MyTable {
  readonly name: string;
  readonly engine: string;
  /** The next AUTO_INCREMENT value. */
  readonly autoIncrement: string | null;
  readonly comment: string;
  readonly columns: readonly MyColumn[];
  readonly indexes: readonly MyIndex[];
  readonly checks: readonly MyCheck[];
  readonly foreignKeys: readonly MyForeignKey[];
  readonly partitioning?: MyPartitioning;
}

export interface MyView {
  readonly name: string;
  /** VIEW_DEFINITION: the SELECT, names qualified with the database. */
  readonly definition: string;
  readonly checkOption: string;
  /** SHOW CREATE VIEW, kept when the view cannot be converted. */
  readonly createSql: string;
}

export interface MyCodeObject {
  readonly name: string;
  /** TRIGGER, PROCEDURE, FUNCTION. */
  readonly type: string;
  /** The table of a trigger. */
  readonly table?: string;
  readonly createSql: string;
}

export interface MySchema {
  readonly database: string;
  readonly flavor: ServerFlavor;
  readonly tables: readonly MyTable[];
  readonly views: readonly MyView[];
  readonly triggers: readonly MyCodeObject[];
  readonly routines: readonly MyCodeObject[];
}

type Row = Record<string, unknown>;
const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function groupBy<T>(list: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of list) {
    const k = key(x);
    const l = m.get(k);
    if (l) l.push(x);
    else m.set(k, [x]);
  }
  return m;
}

export async function readMySchema(conn: mysql.Connection, database: string, flavor: ServerFlavor): Promise<MySchema> {
  const q = (sql: string) => rows<Row>(conn, sql, [database]);
  const tableRows = await q(
    `SELECT TABLE_NAME AS name, ENGINE AS engine, CAST(AUTO_INCREMENT AS CHAR) AS ai, TABLE_COMMENT AS comment
       FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`,
  );
  const columns = groupBy(
    await q(
      `SELECT TABLE_NAME AS t, COLUMN_NAME AS name, DATA_TYPE AS dataType, COLUMN_TYPE AS columnType, IS_NULLABLE AS nullable,
              COLUMN_DEFAULT AS def, NUMERIC_PRECISION AS np, NUMERIC_SCALE AS ns, DATETIME_PRECISION AS dp,
              CHARACTER_MAXIMUM_LENGTH AS cl, COLLATION_NAME AS coll, EXTRA AS extra, GENERATION_EXPRESSION AS gen, COLUMN_COMMENT AS comment
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    ),
    (r) => String(r.t),
  );
  // MySQL 8 has functional key parts (COLUMN_NAME NULL, the EXPRESSION column); MariaDB has neither.
  const expression = flavor.flavor === 'mysql' ? 'EXPRESSION' : 'NULL';
  const stats = groupBy(
    await q(
      `SELECT TABLE_NAME AS t, INDEX_NAME AS name, NON_UNIQUE AS nu, COLUMN_NAME AS col, SUB_PART AS sub, INDEX_TYPE AS kind, COLLATION AS coll, ${expression} AS expr
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
    ),
    (r) => String(r.t),
  );
  // MariaDB names a CHECK per table (a column's is named after the column); MySQL per database, without TABLE_NAME.
  const checkSql =
    flavor.flavor === 'mariadb'
      ? `SELECT TABLE_NAME AS t, CONSTRAINT_NAME AS name, CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? ORDER BY 1, 2`
      : `SELECT tc.TABLE_NAME AS t, cc.CONSTRAINT_NAME AS name, cc.CHECK_CLAUSE AS clause
           FROM information_schema.CHECK_CONSTRAINTS cc
           JOIN information_schema.TABLE_CONSTRAINTS tc ON tc.CONSTRAINT_SCHEMA = cc.CONSTRAINT_SCHEMA AND tc.CONSTRAINT_NAME = cc.CONSTRAINT_NAME AND tc.CONSTRAINT_TYPE = 'CHECK'
          WHERE cc.CONSTRAINT_SCHEMA = ? ORDER BY 1, 2`;
  const checks = groupBy(await q(checkSql), (r) => String(r.t));
  const fkCols = await q(
    `SELECT k.TABLE_NAME AS t, k.CONSTRAINT_NAME AS name, k.COLUMN_NAME AS col, k.REFERENCED_TABLE_SCHEMA AS rdb,
            k.REFERENCED_TABLE_NAME AS rt, k.REFERENCED_COLUMN_NAME AS rcol, r.DELETE_RULE AS del, r.UPDATE_RULE AS upd
       FROM information_schema.KEY_COLUMN_USAGE k
       JOIN information_schema.REFERENTIAL_CONSTRAINTS r ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME
      WHERE k.TABLE_SCHEMA = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL
      ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
  );
  const fks = groupBy(fkCols, (r) => String(r.t));
  const parts = groupBy(
    await q(
      `SELECT TABLE_NAME AS t, PARTITION_NAME AS name, SUBPARTITION_NAME AS sub, PARTITION_METHOD AS method,
              PARTITION_EXPRESSION AS expr, PARTITION_DESCRIPTION AS descr
         FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = ? AND PARTITION_NAME IS NOT NULL
        ORDER BY TABLE_NAME, PARTITION_ORDINAL_POSITION, SUBPARTITION_ORDINAL_POSITION`,
    ),
    (r) => String(r.t),
  );

  const tables = tableRows.map((t): MyTable => {
    const name = String(t.name);
    return {
      name,
      engine: str(t.engine) ?? '',
      autoIncrement: str(t.ai),
      comment: str(t.comment) ?? '',
      columns: (columns.get(name) ?? []).map(toColumn),
      indexes: toIndexes(stats.get(name) ?? []),
      checks: (checks.get(name) ?? []).map((r) => ({ name: String(r.name), clause: String(r.clause) })),
      foreignKeys: toForeignKeys(fks.get(name) ?? []),
      partitioning: toPartitioning(parts.get(name) ?? []),
    };
  });

  const views: MyView[] = [];
  for (const v of await q(`SELECT TABLE_NAME AS name, VIEW_DEFINITION AS def, CHECK_OPTION AS co FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME`)) {
    const name = String(v.name);
    const [shown] = await rows<Row>(conn, `SHOW CREATE VIEW ${quoteMyIdent(database)}.${quoteMyIdent(name)}`);
    views.push({ name, definition: String(v.def), checkOption: String(v.co ?? 'NONE'), createSql: String(shown['Create View']) });
  }
  const triggers: MyCodeObject[] = [];
  for (const t of await q(`SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS t FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER`)) {
    const [shown] = await rows<Row>(conn, `SHOW CREATE TRIGGER ${quoteMyIdent(database)}.${quoteMyIdent(String(t.name))}`);
    triggers.push({ name: String(t.name), type: 'TRIGGER', table: String(t.t), createSql: String(shown['SQL Original Statement']) });
  }
  const routines: MyCodeObject[] = [];
  for (const r of await q(`SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS type FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? ORDER BY ROUTINE_TYPE, ROUTINE_NAME`)) {
    const type = String(r.type);
    const [shown] = await rows<Row>(conn, `SHOW CREATE ${type} ${quoteMyIdent(database)}.${quoteMyIdent(String(r.name))}`);
    const text = shown[type === 'FUNCTION' ? 'Create Function' : 'Create Procedure'];
    routines.push({ name: String(r.name), type, createSql: text === null || text === undefined ? `-- (no privilege to read the ${type.toLowerCase()}'s text)` : String(text) });
  }
  return { database, flavor, tables, views, triggers, routines };
}

function toColumn(r: Row): MyColumn {
  const extra = str(r.extra) ?? '';
  const gen = str(r.gen);
  return {
    name: String(r.name),
    dataType: String(r.dataType).toLowerCase(),
    columnType: String(r.columnType),
    numericPrecision: num(r.np),
    numericScale: num(r.ns),
    datetimePrecision: num(r.dp),
    charMaxLength: num(r.cl),
    extra,
    nullable: r.nullable === 'YES',
    default: str(r.def),
    collation: str(r.coll),
    generation: gen !== null && /GENERATED/i.test(extra) ? { expression: gen, stored: /STORED/i.test(extra) } : undefined,
    comment: str(r.comment) ?? '',
  };
}

function toIndexes(list: readonly Row[]): MyIndex[] {
  const out: MyIndex[] = [];
  for (const [name, parts] of groupBy(list, (r) => String(r.name))) {
    out.push({
      name,
      unique: Number(parts[0].nu) === 0,
      kind: String(parts[0].kind),
      parts: parts.map((p) => ({ column: str(p.col) ?? '', ...(str(p.expr) !== null ? { expression: String(p.expr) } : {}), prefix: num(p.sub), descending: p.coll === 'D' })),
    });
  }
  return out;
}

function toForeignKeys(list: readonly Row[]): MyForeignKey[] {
  return [...groupBy(list, (r) => String(r.name))].map(([name, cols]) => ({
    name,
    columns: cols.map((c) => String(c.col)),
    refDatabase: String(cols[0].rdb),
    refTable: String(cols[0].rt),
    refColumns: cols.map((c) => String(c.rcol)),
    onDelete: String(cols[0].del),
    onUpdate: String(cols[0].upd),
  }));
}

function toPartitioning(list: readonly Row[]): MyPartitioning | undefined {
  if (!list.length) return undefined;
  const seen = new Set<string>();
  const partitions: { name: string; description: string | null }[] = [];
  for (const r of list) {
    if (seen.has(String(r.name))) continue;
    seen.add(String(r.name));
    partitions.push({ name: String(r.name), description: str(r.descr) });
  }
  return { method: String(list[0].method), expression: str(list[0].expr) ?? '', subpartitioned: list.some((r) => r.sub !== null), partitions };
}
