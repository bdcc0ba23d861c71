/**
 * The MySQL/MariaDB → PostgreSQL column type map: one function, used by schema export, and the table the
 * data path renders values for (snapshot, binlog, fall-back). Each entry is the "recommend" column of the
 * MySQL research (reference/mysql-source.md §3); what a PostgreSQL type cannot hold comes back as a finding.
 *
 *   TINYINT(1)/BOOL, TINYINT [UNSIGNED], SMALLINT, YEAR → smallint   SMALLINT UNSIGNED, MEDIUMINT, INT → integer
 *   INT UNSIGNED, BIGINT → bigint      BIGINT UNSIGNED → numeric(20,0) + CHECK (0 … 18446744073709551615)
 *   DECIMAL(p,s) → numeric(p,s)   FLOAT → real   DOUBLE/REAL → double precision   BIT(n) → bit(n)
 *   CHAR/VARCHAR(n) → char/varchar(n)   TEXT family, SET → text   BINARY/VARBINARY/BLOB family → bytea
 *   ENUM → enum type <table>_<column>   DATE → date   DATETIME(p) → timestamp(p)   TIMESTAMP(p) → timestamptz(p)
 *   TIME(p) → time(p)   JSON (and MariaDB's LONGTEXT CHECK (json_valid(c))) → jsonb   UUID → uuid
 *   INET6/INET4 → inet   GEOMETRY family → unsupported (bytea, so the table still imports)
 */
import { quoteIdentIfNeeded } from '../../core/sql-lexer.js';
import { pgName, TARGET_SCHEMA } from './names.js';
import { tokenizeMySql, translateMySql } from './sql-translate.js';

/** The information_schema.COLUMNS fields the map reads. */
export interface MyColumnType {
  /** COLUMN_NAME */
  readonly name: string;
  /** DATA_TYPE, e.g. 'int', 'varchar', 'enum' (lower case). */
  readonly dataType: string;
  /** COLUMN_TYPE, e.g. 'int(10) unsigned', "enum('a','b')", 'tinyint(1)'. */
  readonly columnType: string;
  readonly numericPrecision: number | null;
  readonly numericScale: number | null;
  readonly datetimePrecision: number | null;
  readonly charMaxLength: number | null;
  /** EXTRA, e.g. 'auto_increment', 'on update current_timestamp()'. */
  readonly extra: string;
}

/** Why a column's values cannot be carried as they are (analyze-schema reports each). */
export type TypeFindingKind = 'unsigned-bigint' | 'spatial' | 'set' | 'enum-empty' | 'time-range' | 'unknown-type';

export interface PgEnumType {
  /** Unqualified, as on PostgreSQL (pgName'd). */
  readonly name: string;
  readonly labels: readonly string[];
}

export interface MappedType {
  /** The PostgreSQL type as written in DDL (an enum's is schema-qualified). */
  readonly pgType: string;
  /** An enum type to create before the table. */
  readonly enumType?: PgEnumType;
  /** A CHECK the column needs to keep MySQL's range (BIGINT UNSIGNED). */
  readonly check?: string;
  readonly findings: readonly { kind: TypeFindingKind; detail: string }[];
  /** The values are not migrated (spatial types): export data refuses the table. */
  readonly unsupported?: boolean;
}

const SPATIAL = new Set(['geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection', 'geomcollection']);
const TEXTS = new Set(['tinytext', 'text', 'mediumtext', 'longtext']);
const BINARIES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);
export const UNSIGNED_BIGINT_MAX = '18446744073709551615';

export interface TypeContext {
  /** The table's MySQL name (enum types are named after it). */
  readonly table: string;
  /** MariaDB's JSON: a LONGTEXT column with CHECK (json_valid(column)). */
  readonly jsonText?: boolean;
}

/** The enum type a MySQL ENUM column becomes: `<table>_<column>`, lower-cased, in the target schema. */
export function enumTypeName(table: string, column: string): string {
  return pgName(`${table}_${column}`);
}

export function mapColumnType(c: MyColumnType, ctx: TypeContext): MappedType {
  const unsigned = /\bunsigned\b/i.test(c.columnType);
  const t = c.dataType.toLowerCase();
  const plain = (pgType: string, ...findings: MappedType['findings']): MappedType => ({ pgType, findings });
  const fsp = (p: number | null) => `(${p ?? 0})`;
  switch (t) {
    case 'tinyint':
    case 'bool':
    case 'boolean':
    case 'smallint':
    case 'year':
      return plain(t === 'smallint' && unsigned ? 'integer' : 'smallint');
    case 'mediumint':
      return plain('integer');
    case 'int':
    case 'integer':
      return plain(unsigned ? 'bigint' : 'integer');
    case 'bigint':
      if (!unsigned) return plain('bigint');
      return {
        pgType: 'numeric(20,0)',
        check: `${quoteIdentIfNeeded(pgName(c.name))} BETWEEN 0 AND ${UNSIGNED_BIGINT_MAX}`,
        findings: [{ kind: 'unsigned-bigint', detail: `${c.name} is BIGINT UNSIGNED: numeric(20,0) with a CHECK for its range` }],
      };
    case 'decimal':
    case 'numeric':
    case 'fixed':
      return plain(`numeric(${c.numericPrecision ?? 10},${c.numericScale ?? 0})`);
    case 'float':
      return plain('real');
    case 'double':
    case 'real':
    case 'double precision':
      return plain('double precision');
    case 'bit':
      return plain(`bit(${c.numericPrecision ?? lengthOf(c.columnType) ?? 1})`);
    case 'char':
    case 'varchar':
      if (ctx.jsonText) return plain('jsonb');
      return plain(`${t}(${c.charMaxLength ?? lengthOf(c.columnType) ?? 1})`);
    case 'set':
      return plain('text', { kind: 'set', detail: `${c.name} is ${c.columnType}: text holding the comma-separated members, not checked` });
    case 'enum': {
      const labels = enumLabels(c.columnType);
      return {
        pgType: `${TARGET_SCHEMA}.${quoteIdentIfNeeded(enumTypeName(ctx.table, c.name))}`,
        enumType: { name: enumTypeName(ctx.table, c.name), labels },
        findings: [{ kind: 'enum-empty', detail: `${c.name} is an ENUM: an invalid value stored as '' (index 0) outside strict mode has no label on PostgreSQL` }],
      };
    }
    case 'date':
      return plain('date');
    case 'datetime':
      return plain(`timestamp${fsp(c.datetimePrecision)}`);
    case 'timestamp':
      return plain(`timestamptz${fsp(c.datetimePrecision)}`);
    case 'time':
      return plain(`time${fsp(c.datetimePrecision)}`, { kind: 'time-range', detail: `${c.name} is TIME: PostgreSQL time holds 00:00:00–24:00:00 only, MySQL TIME -838:59:59 to 838:59:59` });
    case 'json':
      return plain('jsonb');
    case 'uuid':
      return plain('uuid');
    case 'inet6':
    case 'inet4':
      return plain('inet');
  }
  if (TEXTS.has(t)) return plain(ctx.jsonText ? 'jsonb' : 'text');
  if (BINARIES.has(t)) return plain('bytea');
  if (SPATIAL.has(t)) {
    return { pgType: 'bytea', unsupported: true, findings: [{ kind: 'spatial', detail: `${c.name} is ${c.columnType.toUpperCase()}: spatial types are not migrated; created as bytea` }] };
  }
  return plain('text', { kind: 'unknown-type', detail: `${c.name} has the type ${c.columnType}, which has no mapping: created as text` });
}

/** Labels of `enum('a','b''c')` / `set(…)`, in order, decoded. */
export function enumLabels(columnType: string): string[] {
  const open = columnType.indexOf('(');
  return tokenizeMySql(columnType.slice(open + 1, columnType.lastIndexOf(')')))
    .filter((t) => t.kind === 'string')
    .map((t) => t.value ?? '');
}

function lengthOf(columnType: string): number | undefined {
  const m = /\((\d+)\)/.exec(columnType);
  return m ? Number(m[1]) : undefined;
}

/**
 * Whether PostgreSQL computes a MySQL generated column (GENERATED ALWAYS AS … STORED), so the data path must
 * not copy it. One whose expression does not translate is a plain column there: its values are copied.
 */
export function generatedOnTarget(c: { readonly generation?: { readonly expression: string } }): boolean {
  return c.generation !== undefined && translateMySql(c.generation.expression).ok;
}
