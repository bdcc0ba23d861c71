/**
 * MySQL tables as PostgreSQL DDL: enum types, columns (type map, defaults, AUTO_INCREMENT as identity,
 * generated columns), primary key, unique and CHECK constraints inline, comments, and the trigger that
 * stands in for ON UPDATE CURRENT_TIMESTAMP. Indexes, foreign keys and partitions: ddl-keys.ts.
 */
import { displayIdent } from '../../core/schema-analysis/ast.js';
import type { SourceFinding } from '../../core/schema-files.js';
import { quoteLiteral } from '../../core/sql-names.js';
import { convertDefault } from './column-defaults.js';
import { ident, MyDdl, rel, relOf, shown } from './ddl-context.js';
import { isCaseInsensitive, partitionClause } from './ddl-keys.js';
import { pgName, TARGET_SCHEMA } from './names.js';
import type { MyColumn, MySchema, MyTable } from './schema-reader.js';
import { identitySequenceName } from './sequences.js';
import { translateMySql } from './sql-translate.js';
import { mapColumnType, type MappedType } from './type-map.js';

const TRANSACTIONAL_ENGINES = new Set(['innodb', 'xtradb', 'rocksdb', 'tokudb']);
const INTEGER_TYPES = new Set(['smallint', 'integer', 'bigint']);

/** The column is MariaDB's JSON: LONGTEXT with CHECK (json_valid(column)). */
function jsonCheckOf(t: MyTable, c: MyColumn) {
  return t.checks.find((k) => k.clause.replace(/\s+/g, '').toLowerCase() === `json_valid(\`${c.name.toLowerCase().replace(/`/g, '``')}\`)`);
}

export function tableDdl(ddl: MyDdl, schema: MySchema, t: MyTable): void {
  const findings: SourceFinding[] = [];
  const tableName = shown(t.name);
  const note = (ruleId: string, reason: string) => findings.push({ ruleId, objectType: 'TABLE', objectName: tableName, reason });
  if (!TRANSACTIONAL_ENGINES.has(t.engine.toLowerCase())) {
    note('MYSQL_STORAGE_ENGINE', `table ${t.name} uses the ${t.engine} storage engine: convert it to InnoDB on the source before the data export`);
  }

  const lines: string[] = [];
  const jsonChecks = new Set<string>();
  const onUpdate: { column: MyColumn; pgType: string }[] = [];
  const comments: string[] = [];
  for (const c of t.columns) {
    const jsonCheck = jsonCheckOf(t, c);
    if (jsonCheck) jsonChecks.add(jsonCheck.name);
    const mapped = mapColumnType(c, { table: t.name, jsonText: jsonCheck !== undefined });
    for (const f of mapped.findings) note(TYPE_RULES[f.kind], `${t.name}.${f.detail}`);
    if (mapped.enumType) {
      const typeName = ddl.uniqueName(mapped.enumType.name);
      const labels = mapped.enumType.labels.map(quoteLiteral).join(', ');
      ddl.add('types', 'TYPE', `${TARGET_SCHEMA}.${displayIdent(typeName)}`, `CREATE TYPE ${relOf(typeName)} AS ENUM (${labels})`);
      columnLine(ddl, schema, t, c, { ...mapped, pgType: relOf(typeName) }, lines, note);
    } else columnLine(ddl, schema, t, c, mapped, lines, note);
    if (/on update/i.test(c.extra)) onUpdate.push({ column: c, pgType: mapped.pgType });
    const comment = mapped.unsupported ? `MySQL ${c.columnType.toUpperCase()} column, not migrated${c.comment ? `: ${c.comment}` : ''}` : c.comment;
    if (comment) comments.push(`COMMENT ON COLUMN ${rel(t.name)}.${ident(c.name)} IS ${quoteLiteral(comment)}`);
  }

  const pk = t.indexes.find((i) => i.name === 'PRIMARY');
  if (pk) {
    if (pk.parts.some((p) => p.prefix !== null)) note('MYSQL_PREFIX_INDEX', `the primary key of ${t.name} uses a column prefix: the whole column is the key on PostgreSQL`);
    lines.push(`CONSTRAINT ${ident(ddl.uniqueName(pgName(`${t.name}_pkey`)))} PRIMARY KEY (${pk.parts.map((p) => ident(p.column)).join(', ')})`);
  }
  for (const k of t.indexes) {
    if (!k.unique || k.name === 'PRIMARY' || k.parts.some((p) => p.prefix !== null || p.expression !== undefined)) continue;
    lines.push(`CONSTRAINT ${ident(ddl.uniqueName(pgName(`${t.name}_${k.name}`)))} UNIQUE (${k.parts.map((p) => ident(p.column)).join(', ')})`);
  }
  for (const k of t.indexes.filter((i) => i.unique)) {
    const ci = k.parts.map((p) => t.columns.find((c) => c.name === p.column)).filter((c): c is MyColumn => !!c && isCaseInsensitive(c));
    if (ci.length) {
      const what = k.name === 'PRIMARY' ? 'the primary key' : `the unique key ${k.name}`;
      note('MYSQL_CASE_INSENSITIVE_KEY', `${what} of ${t.name} is on ${ci.map((c) => `${c.name} (${c.collation})`).join(', ')}, compared case-insensitively on MySQL and case-sensitively on PostgreSQL`);
    }
  }
  for (const k of t.checks) {
    if (jsonChecks.has(k.name)) continue;
    const tr = translateMySql(k.clause);
    if (tr.ok) lines.push(`CONSTRAINT ${ident(k.name)} CHECK (${tr.sql})`);
    else note('MYSQL_EXPRESSION_NOT_CONVERTED', `CHECK ${k.name} (${k.clause}) of ${t.name} was left out: ${tr.reason}`);
  }

  const partitioned = partitionClause(ddl, t);
  if (partitioned.finding) note('MYSQL_PARTITIONING_NOT_CONVERTED', partitioned.finding);
  ddl.add('tables', 'TABLE', tableName, `CREATE TABLE ${rel(t.name)} (\n    ${lines.join(',\n    ')}\n)${partitioned.clause ?? ''}`, { findings });
  if (t.comment) ddl.add('comments', 'COMMENT', `TABLE ${tableName}`, `COMMENT ON TABLE ${rel(t.name)} IS ${quoteLiteral(t.comment)}`);
  for (const c of comments) ddl.add('comments', 'COMMENT', tableName, c);
  if (onUpdate.length) onUpdateTrigger(ddl, t, onUpdate);
}

const TYPE_RULES: Record<string, string> = {
  'unsigned-bigint': 'MYSQL_UNSIGNED_BIGINT',
  spatial: 'MYSQL_SPATIAL_TYPE',
  set: 'MYSQL_SET_TYPE',
  'enum-empty': 'MYSQL_ENUM_EMPTY_VALUE',
  'time-range': 'MYSQL_TIME_RANGE',
  'unknown-type': 'MYSQL_TYPE_NOT_LOSSLESS',
};

function columnLine(ddl: MyDdl, schema: MySchema, t: MyTable, c: MyColumn, mapped: MappedType, lines: string[], note: (rule: string, reason: string) => void): void {
  let line = `${ident(c.name)} ${mapped.pgType}`;
  if (c.generation) {
    const tr = translateMySql(c.generation.expression);
    if (tr.ok) line += ` GENERATED ALWAYS AS (${tr.sql}) STORED`; // generatedOnTarget()
    else note('MYSQL_GENERATED_COLUMN_NOT_CONVERTED', `generated column ${t.name}.${c.name} AS (${c.generation.expression}) became a plain column: ${tr.reason}`);
  } else if (/auto_increment/i.test(c.extra)) {
    const start = t.autoIncrement && BigInt(t.autoIncrement) > 1n ? ` (START WITH ${t.autoIncrement})` : '';
    if (INTEGER_TYPES.has(mapped.pgType)) line += ` GENERATED BY DEFAULT AS IDENTITY${start}`;
    else line += ` DEFAULT nextval(${quoteLiteral(ownedSequence(ddl, t, c))}::regclass)`;
  } else {
    const d = convertDefault(c, mapped.pgType, schema.flavor.flavor);
    if (d.kind === 'sql') line += ` DEFAULT ${d.sql}`;
    else if (d.kind === 'dropped') note(d.zeroDate ? 'MYSQL_ZERO_DATE_DEFAULT' : 'MYSQL_EXPRESSION_NOT_CONVERTED', `${t.name}.${d.reason}`);
  }
  if (!c.nullable) line += ' NOT NULL';
  if (mapped.check) line += ` CHECK (${mapped.check})`;
  lines.push(line);
}

/**
 * AUTO_INCREMENT on a column that cannot be an identity (BIGINT UNSIGNED → numeric): a sequence of the
 * name an identity would get, owned by the column, starting at the current counter.
 */
function ownedSequence(ddl: MyDdl, t: MyTable, c: MyColumn): string {
  const seq = identitySequenceName(pgName(t.name), pgName(c.name));
  ddl.reserve(seq);
  const name = relOf(seq);
  const start = t.autoIncrement && BigInt(t.autoIncrement) > 1n ? ` START WITH ${t.autoIncrement}` : '';
  ddl.add('sequences', 'SEQUENCE', `${TARGET_SCHEMA}.${displayIdent(seq)}`, `CREATE SEQUENCE ${name}${start}`);
  ddl.add('sequences', 'SEQUENCE OWNED BY', `${TARGET_SCHEMA}.${displayIdent(seq)}`, `ALTER SEQUENCE ${name} OWNED BY ${rel(t.name)}.${ident(c.name)}`);
  return `${TARGET_SCHEMA}.${seq}`;
}

/**
 * ON UPDATE CURRENT_TIMESTAMP: MySQL sets the column when an UPDATE changes the row without assigning it.
 * A BEFORE UPDATE trigger does the same on PostgreSQL (it is post-data: created by --post-snapshot-import).
 */
function onUpdateTrigger(ddl: MyDdl, t: MyTable, cols: readonly { column: MyColumn; pgType: string }[]): void {
  const fnName = ddl.uniqueName(pgName(`${t.name}_on_update_current_timestamp`));
  const fn = relOf(fnName);
  const sets = cols.map(({ column, pgType }) => {
    const p = /\((\d+)\)/.exec(column.extra)?.[1];
    const now = `${pgType.startsWith('timestamptz') ? 'CURRENT_TIMESTAMP' : pgType === 'date' ? 'CURRENT_DATE' : 'LOCALTIMESTAMP'}${p && pgType !== 'date' ? `(${p})` : ''}`;
    const col = ident(column.name);
    return `        IF NEW.${col} IS NOT DISTINCT FROM OLD.${col} THEN\n            NEW.${col} := ${now};\n        END IF;`;
  });
  const body = `BEGIN\n    IF NEW IS DISTINCT FROM OLD THEN\n${sets.join('\n')}\n    END IF;\n    RETURN NEW;\nEND`;
  ddl.add('functions', 'FUNCTION', `${TARGET_SCHEMA}.${displayIdent(fnName)}()`, `CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$\n${body}\n$$`);
  ddl.add('triggers', 'TRIGGER', `${displayIdent(fnName)} ON ${shown(t.name)}`, `CREATE TRIGGER ${ident(fnName)} BEFORE UPDATE ON ${rel(t.name)} FOR EACH ROW EXECUTE FUNCTION ${fn}()`);
}
