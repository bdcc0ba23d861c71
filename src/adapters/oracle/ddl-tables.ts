/**
 * Tables, keys, checks, foreign keys, indexes, partitions, sequences and comments of an Oracle schema as
 * PostgreSQL DDL. Primary and unique keys and checks are written inside CREATE TABLE (a partitioned table
 * cannot get its key later); foreign keys go to fkeys/ so every table exists first. What converts with a
 * caveat, or cannot convert, carries a finding that analyze-schema reports (ORACLE_* rules in
 * core/schema-analysis/source-findings.ts). Pure.
 */
import type { DdlStatement, SchemaDir, SourceFinding } from '../../core/schema-files.js';
import { quoteLiteral } from '../../core/sql-names.js';
import type { OraColumn, OraConstraint, OraIndex, OraSchema, OraSequence, OraTable } from './catalog-model.js';
import { oracleIsms, pgDefault, pgExpression, pgIdent, pgQualified } from './ddl-text.js';
import { mapOracleType } from './type-map.js';

export type Emit = (dir: SchemaDir, s: DdlStatement) => void;

/** A finding of one of the ORACLE_* rules (core/schema-analysis/source-findings.ts). */
export function finding(ruleId: string, objectType: string, objectName: string, reason: string): SourceFinding {
  return { ruleId, objectType, objectName, reason };
}

const PG_BIGINT_MAX = 9223372036854775807n;

function columnDef(schema: OraSchema, t: OraTable, c: OraColumn, findings: SourceFinding[]): string {
  const colName = `${pgQualified(schema.owner, t.name)}.${pgIdent(c.name)}`;
  const note = (ruleId: string, reason: string) => findings.push(finding(ruleId, 'COLUMN', colName, reason));
  let { pg, notes: typeNotes } = mapOracleType(c);
  for (const n of typeNotes) note(n.level === 'manual' ? 'ORACLE_UNSUPPORTED_TYPE' : 'ORACLE_TYPE_CAVEAT', n.text);
  let def = '';
  if (c.default && !c.virtual && !c.identity) {
    const d = pgDefault(c.default, schema.owner);
    if (d.note) note('ORACLE_EXPRESSION_NOT_CONVERTED', d.note);
    // RAW(16) filled by SYS_GUID() holds UUIDs: the reference tool's uuid column.
    if (c.dataType === 'RAW' && c.dataLength === 16 && /^SYS_GUID\(\)$/i.test(c.default.trim())) pg = 'uuid';
    if (d.sql) def = ` DEFAULT ${d.sql}`;
  }
  let generated = '';
  if (c.virtual && c.default) {
    const expr = pgExpression(c.default);
    generated = ` GENERATED ALWAYS AS (${expr}) STORED`;
    const isms = oracleIsms(expr);
    note(isms.length ? 'ORACLE_EXPRESSION_NOT_CONVERTED' : 'ORACLE_OBJECT_CHANGED', `virtual column (computed on read in Oracle) becomes a stored generated column${isms.length ? `; its expression uses ${isms.join(', ')}: rewrite it` : ''}`);
  }
  if (c.identity) {
    // PostgreSQL identity columns are integers; Oracle's are NUMBER, usually without a precision.
    if (!/^(smallint|integer|bigint)$/.test(pg)) {
      note('ORACLE_TYPE_CAVEAT', `identity column of type ${c.dataType}${c.precision != null ? `(${c.precision})` : ''} becomes bigint (PostgreSQL identity columns are integers)`);
      pg = 'bigint';
    }
    const opts = [c.identity.start && `START WITH ${c.identity.start}`, c.identity.increment && `INCREMENT BY ${c.identity.increment}`].filter(Boolean).join(' ');
    generated = ` GENERATED ${c.identity.always ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY${opts ? ` (${opts})` : ''}`;
    def = '';
  }
  return `${pgIdent(c.name)} ${pg}${def}${generated}${c.nullable ? '' : ' NOT NULL'}`;
}

/** A NOT NULL check Oracle generates for a NOT NULL column (already expressed by the column). */
function isNotNullCheck(c: OraConstraint): boolean {
  return c.type === 'C' && /^\s*"[^"]+"\s+IS\s+NOT\s+NULL\s*$/i.test(c.condition ?? '');
}

function keyList(cols: readonly string[]): string {
  return cols.map(pgIdent).join(', ');
}

function deferrable(c: OraConstraint): string {
  return c.deferrable ? (c.deferred ? ' DEFERRABLE INITIALLY DEFERRED' : ' DEFERRABLE') : '';
}

function partitionBy(schema: OraSchema, t: OraTable, findings: SourceFinding[]): string {
  const p = t.partitioning!;
  const name = pgQualified(schema.owner, t.name);
  if (p.subType) findings.push(finding('ORACLE_PARTITIONING_NOT_CONVERTED', 'TABLE', name, `${p.type}-${p.subType} composite partitioning: only the first level is converted; add the subpartitions by hand`));
  if (!['RANGE', 'LIST', 'HASH'].includes(p.type)) {
    findings.push(finding('ORACLE_PARTITIONING_NOT_CONVERTED', 'TABLE', name, `${p.type} partitioning has no PostgreSQL equivalent: the table is created unpartitioned`));
    return '';
  }
  return ` PARTITION BY ${p.type} (${keyList(p.columns)})`;
}

export function emitTable(schema: OraSchema, t: OraTable, emit: Emit): void {
  const name = pgQualified(schema.owner, t.name);
  const findings: SourceFinding[] = [];
  if (t.temporary) findings.push(finding('ORACLE_OBJECT_CHANGED', 'TABLE', name, 'global temporary table: created as a plain table; PostgreSQL temporary tables live per session, so rework its use'));
  if (t.iot) findings.push(finding('ORACLE_OBJECT_CHANGED', 'TABLE', name, 'index-organized table: created as a heap table with its primary key'));
  const lines = t.columns.map((c) => columnDef(schema, t, c, findings));
  for (const c of schema.constraints.filter((x) => x.table === t.name)) {
    if (c.type === 'R' || isNotNullCheck(c)) continue;
    const cname = `CONSTRAINT ${pgIdent(c.name)} `;
    if (!c.enabled) {
      findings.push(finding('ORACLE_OBJECT_CHANGED', 'TABLE', name, `constraint ${c.name} is DISABLED in Oracle and was left out`));
      continue;
    }
    if (c.type === 'P') lines.push(`${cname}PRIMARY KEY (${keyList(c.columns)})${deferrable(c)}`);
    else if (c.type === 'U') lines.push(`${cname}UNIQUE (${keyList(c.columns)})${deferrable(c)}`);
    else {
      const expr = pgExpression(c.condition ?? '');
      const isms = oracleIsms(expr);
      if (isms.length) findings.push(finding('ORACLE_EXPRESSION_NOT_CONVERTED', 'TABLE', name, `check ${c.name} uses ${isms.join(', ')}: rewrite it for PostgreSQL`));
      lines.push(`${cname}CHECK (${expr})${c.validated ? '' : ' NOT VALID'}`);
    }
  }
  let partition = '';
  if (t.partitioning) {
    partition = partitionBy(schema, t, findings);
    const pk = schema.constraints.find((c) => c.table === t.name && c.type === 'P');
    const missing = pk ? t.partitioning.columns.filter((k) => !pk.columns.includes(k)) : [];
    if (partition && missing.length) findings.push(finding('ORACLE_PARTITIONING_NOT_CONVERTED', 'TABLE', name, `the partition key column(s) ${missing.join(', ')} are not in the primary key, which PostgreSQL requires: add them to the key`));
  }
  emit('tables', { objectType: 'TABLE', name, sql: `CREATE TABLE ${name} (\n    ${lines.join(',\n    ')}\n)${partition}`, findings });
  if (partition) emitPartitions(schema, t, emit);
  if (t.comment) emit('comments', { objectType: 'COMMENT', name: `TABLE ${name}`, sql: `COMMENT ON TABLE ${name} IS ${quoteLiteral(t.comment)}` });
  for (const c of t.columns) {
    if (c.comment) emit('comments', { objectType: 'COMMENT', name: `COLUMN ${name}.${pgIdent(c.name)}`, sql: `COMMENT ON COLUMN ${name}.${pgIdent(c.name)} IS ${quoteLiteral(c.comment)}` });
  }
}

/** A partition bound from ALL_TAB_PARTITIONS.HIGH_VALUE: a literal, TO_DATE('…'), TIMESTAMP'…' or MAXVALUE. */
export function partitionBound(high: string): string | undefined {
  const h = high.trim();
  if (/^MAXVALUE$/i.test(h)) return 'MAXVALUE';
  if (/^-?\d+(\.\d+)?$/.test(h) || /^'([^']|'')*'$/.test(h)) return h;
  const date = /^(?:TO_DATE|TO_TIMESTAMP)\(\s*'\s*([^']+?)\s*'/i.exec(h) ?? /^TIMESTAMP\s*'\s*([^']+?)\s*'$/i.exec(h);
  return date ? quoteLiteral(date[1]) : undefined;
}

function emitPartitions(schema: OraSchema, t: OraTable, emit: Emit): void {
  const p = t.partitioning!;
  const parent = pgQualified(schema.owner, t.name);
  let from = Array(p.columns.length).fill('MINVALUE').join(', ');
  p.partitions.forEach((part, i) => {
    const name = pgQualified(schema.owner, part.name);
    const high = part.highValue ?? '';
    let bounds: string | undefined;
    if (p.type === 'HASH') bounds = `FOR VALUES WITH (MODULUS ${p.partitions.length}, REMAINDER ${i})`;
    else if (p.type === 'LIST') {
      bounds = /^DEFAULT$/i.test(high.trim()) ? 'DEFAULT' : splitTopLevel(high).every((v) => partitionBound(v) !== undefined) ? `FOR VALUES IN (${splitTopLevel(high).map((v) => partitionBound(v)).join(', ')})` : undefined;
    } else {
      const to = splitTopLevel(high).map(partitionBound);
      if (to.every((v) => v !== undefined)) {
        bounds = `FOR VALUES FROM (${from}) TO (${to.join(', ')})`;
        from = to.join(', ');
      }
    }
    if (!bounds) {
      const f = finding('ORACLE_PARTITIONING_NOT_CONVERTED', 'TABLE', name, `the partition bound ${high} could not be converted: the partition is created as DEFAULT; give it its bounds by hand`);
      emit('partitions', { objectType: 'TABLE', name, sql: `CREATE TABLE ${name} PARTITION OF ${parent} DEFAULT`, findings: [f] });
      return;
    }
    emit('partitions', { objectType: 'TABLE', name, sql: `CREATE TABLE ${name} PARTITION OF ${parent} ${bounds}` });
  });
}

/** Split "a, TO_DATE('x, y'), 'b'" at top-level commas (outside parentheses and quotes). */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = false;
  let cur = '';
  for (const ch of s) {
    if (ch === "'") quote = !quote;
    if (!quote && ch === '(') depth++;
    if (!quote && ch === ')') depth--;
    if (!quote && depth === 0 && ch === ',') {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

export function emitForeignKey(schema: OraSchema, c: OraConstraint, emit: Emit): void {
  const table = pgQualified(schema.owner, c.table);
  const ref = schema.constraints.find((x) => x.name === c.refConstraint && (c.refOwner === null || c.refOwner === schema.owner));
  if (!ref) {
    emit('fkeys', {
      objectType: 'FK CONSTRAINT',
      name: `${pgIdent(c.name)} ON ${table}`,
      commentedOut: true,
      sql: `ALTER TABLE ${c.table} ADD CONSTRAINT ${c.name} FOREIGN KEY (${c.columns.join(', ')}) REFERENCES a key ${c.refOwner}.${c.refConstraint}`,
      findings: [finding('ORACLE_FOREIGN_KEY_OUTSIDE_SCHEMA', 'TABLE', table, `foreign key ${c.name} references a key in schema ${c.refOwner}, which is not exported: recreate it by hand`)],
    });
    return;
  }
  const findings: SourceFinding[] = [];
  if (!c.enabled) findings.push(finding('ORACLE_OBJECT_CHANGED', 'TABLE', table, `foreign key ${c.name} is DISABLED in Oracle: created NOT VALID`));
  const onDelete = c.deleteRule === 'CASCADE' ? ' ON DELETE CASCADE' : c.deleteRule === 'SET NULL' ? ' ON DELETE SET NULL' : '';
  const notValid = !c.enabled || !c.validated ? ' NOT VALID' : '';
  emit('fkeys', {
    objectType: 'FK CONSTRAINT',
    name: `${pgIdent(c.name)} ON ${table}`,
    sql: `ALTER TABLE ${table} ADD CONSTRAINT ${pgIdent(c.name)} FOREIGN KEY (${keyList(c.columns)}) REFERENCES ${pgQualified(schema.owner, ref.table)} (${keyList(ref.columns)})${onDelete}${deferrable(c)}${notValid}`,
    findings,
  });
}

const SKIPPED_INDEX_TYPES = new Set(['LOB', 'IOT - TOP', 'CLUSTER']);

export function emitIndex(schema: OraSchema, i: OraIndex, emit: Emit): void {
  if (i.constraint || SKIPPED_INDEX_TYPES.has(i.type)) return;
  const name = `${pgIdent(i.name)} ON ${pgQualified(schema.owner, i.table)}`;
  const findings: SourceFinding[] = [];
  const note = (ruleId: string, reason: string) => findings.push(finding(ruleId, 'INDEX', pgQualified(schema.owner, i.name), reason));
  if (i.type === 'DOMAIN') {
    note('ORACLE_DOMAIN_INDEX', 'domain index (Oracle Text, spatial…): create a matching GIN/GiST index (full-text, PostGIS) by hand');
    emit('indexes', { objectType: 'INDEX', name, commentedOut: true, sql: `CREATE INDEX ${i.name} ON ${i.table} (${i.columns.map((c) => c.name).join(', ')}) INDEXTYPE …`, findings });
    return;
  }
  if (/BITMAP/.test(i.type)) note('ORACLE_OBJECT_CHANGED', 'bitmap index becomes a B-tree index');
  if (/REV/.test(i.type)) note('ORACLE_OBJECT_CHANGED', 'reverse-key index becomes a plain B-tree index');
  const cols = i.columns.map((c) => {
    const expr = c.expression ? `(${pgExpression(c.expression)})` : pgIdent(c.name);
    if (c.expression && oracleIsms(c.expression).length) note('ORACLE_EXPRESSION_NOT_CONVERTED', `the index expression ${c.expression} uses ${oracleIsms(c.expression).join(', ')}: rewrite it`);
    return `${expr}${c.descending ? ' DESC' : ''}`;
  });
  emit('indexes', { objectType: 'INDEX', name, sql: `CREATE ${i.unique ? 'UNIQUE ' : ''}INDEX ${pgIdent(i.name)} ON ${pgQualified(schema.owner, i.table)} (${cols.join(', ')})`, findings });
}

/** Oracle's "no bound" defaults are 28 nines: beyond bigint, so they become NO MINVALUE / NO MAXVALUE. */
function bound(v: string, kw: 'MINVALUE' | 'MAXVALUE'): string {
  const n = BigInt(v);
  return n > PG_BIGINT_MAX || n < -PG_BIGINT_MAX ? `NO ${kw}` : `${kw} ${v}`;
}

export function emitSequence(schema: OraSchema, s: OraSequence, emit: Emit): void {
  const name = pgQualified(schema.owner, s.name);
  const cache = Number(s.cache) > 1 ? s.cache : '1';
  // LAST_NUMBER is at or past every value handed out (it counts the cached ones): no migrated row collides.
  emit('sequences', {
    objectType: 'SEQUENCE',
    name,
    sql: `CREATE SEQUENCE ${name} INCREMENT BY ${s.increment} ${bound(s.min, 'MINVALUE')} ${bound(s.max, 'MAXVALUE')} START WITH ${s.last} CACHE ${cache}${s.cycle ? ' CYCLE' : ''}`,
  });
}
