/**
 * MySQL indexes, foreign keys and partitions as PostgreSQL DDL.
 *  - Index names are per table on MySQL and per schema on PostgreSQL: an index becomes `<table>_<index>`.
 *  - A prefix index (c(10)) becomes an expression index on left(c, 10) (substr for bytea); a FULLTEXT
 *    index a GIN index on to_tsvector('simple', …); SPATIAL indexes are left out. Each is reported.
 *  - RANGE/LIST/HASH/KEY partitioning on plain columns becomes declarative partitioning with one
 *    partition table `<table>_<partition>` per MySQL partition; on expressions (YEAR(d)) or with
 *    subpartitions the table stays unpartitioned, reported.
 */
import { displayIdent } from '../../core/schema-analysis/ast.js';
import { quoteLiteral } from '../../core/sql-names.js';
import { ident, MyDdl, rel, relOf, shown } from './ddl-context.js';
import { pgName, TARGET_SCHEMA } from './names.js';
import type { MyColumn, MyIndex, MyTable } from './schema-reader.js';
import { tokenizeMySql, translateMySql } from './sql-translate.js';
import { mapColumnType } from './type-map.js';

const TEXT_TYPES = /^(char|varchar|tinytext|text|mediumtext|longtext)$/;

export function isCaseInsensitive(c: MyColumn): boolean {
  return TEXT_TYPES.test(c.dataType) && /_ci$/i.test(c.collation ?? '');
}

export function indexDdl(ddl: MyDdl, t: MyTable): void {
  for (const k of t.indexes) {
    if (k.name === 'PRIMARY' || (k.unique && k.parts.every((p) => p.prefix === null && p.expression === undefined))) continue; // constraints of the table
    const name = ddl.uniqueName(pgName(`${t.name}_${k.name}`));
    const shownName = `${displayIdent(name)} ON ${shown(t.name)}`;
    const finding = (ruleId: string, reason: string) => [{ ruleId, objectType: 'INDEX', objectName: shownName, reason }];
    const kind = k.kind.toUpperCase();
    if (kind === 'SPATIAL') {
      const sql = `CREATE SPATIAL INDEX \`${k.name}\` ON \`${t.name}\` (${k.parts.map((p) => `\`${p.column}\``).join(', ')})`;
      ddl.add('indexes', 'INDEX', shownName, sql, { commentedOut: true, findings: finding('MYSQL_SPATIAL_INDEX', `SPATIAL index ${k.name} on ${t.name} was not converted (its column is not migrated)`) });
    } else if (kind === 'FULLTEXT') {
      const doc = k.parts.length === 1 ? ident(k.parts[0].column) : k.parts.map((p) => `coalesce(${ident(p.column)}, '')`).join(` || ' ' || `);
      ddl.add('indexes', 'INDEX', shownName, `CREATE INDEX ${ident(name)} ON ${rel(t.name)} USING gin (to_tsvector('simple', ${doc}))`, {
        findings: finding('MYSQL_FULLTEXT_INDEX', `FULLTEXT index ${k.name} on ${t.name} (${k.parts.map((p) => p.column).join(', ')}) became a GIN index on to_tsvector('simple', …)`),
      });
    } else {
      const prefixed = k.parts.filter((p) => p.prefix !== null);
      const functional = k.parts.filter((p) => p.expression !== undefined).map((p) => ({ p, tr: translateMySql(p.expression!) }));
      const failed = functional.find((f) => !f.tr.ok);
      if (failed && !failed.tr.ok) {
        const sql = `CREATE ${k.unique ? 'UNIQUE ' : ''}INDEX \`${k.name}\` ON \`${t.name}\` (${k.parts.map((p) => p.expression ? `(${p.expression})` : `\`${p.column}\``).join(', ')})`;
        ddl.add('indexes', 'INDEX', shownName, sql, { commentedOut: true, findings: finding('MYSQL_EXPRESSION_NOT_CONVERTED', `functional index ${k.name} on ${t.name} was not converted: ${failed.tr.reason}`) });
        continue;
      }
      const cols = k.parts.map((p) => indexElement(t, p));
      ddl.add('indexes', 'INDEX', shownName, `CREATE ${k.unique ? 'UNIQUE ' : ''}INDEX ${ident(name)} ON ${rel(t.name)} (${cols.join(', ')})`, {
        findings: prefixed.length
          ? finding('MYSQL_PREFIX_INDEX', `index ${k.name} on ${t.name} indexes a prefix of ${prefixed.map((p) => `${p.column} (${p.prefix})`).join(', ')}: an expression index on PostgreSQL`)
          : [],
      });
    }
  }
}

function indexElement(t: MyTable, p: MyIndex['parts'][number]): string {
  if (p.expression !== undefined) {
    const tr = translateMySql(p.expression);
    return `(${tr.ok ? tr.sql : p.expression})${p.descending ? ' DESC' : ''}`;
  }
  let e = ident(p.column);
  if (p.prefix !== null) {
    const col = t.columns.find((c) => c.name === p.column);
    const bytea = col && mapColumnType(col, { table: t.name }).pgType === 'bytea';
    e = bytea ? `substr(${e}, 1, ${p.prefix})` : `left(${e}, ${p.prefix})`;
    e = `(${e})`;
  }
  return p.descending ? `${e} DESC` : e;
}

export function foreignKeyDdl(ddl: MyDdl, t: MyTable): void {
  for (const fk of t.foreignKeys) {
    const name = `${displayIdent(pgName(fk.name))} ON ${shown(t.name)}`;
    if (fk.refDatabase !== ddl.database) {
      ddl.warn(`foreign key ${fk.name} of ${t.name} references ${fk.refDatabase}.${fk.refTable}, another database: not exported; add it by hand if that table is migrated too`);
      continue;
    }
    const action = (what: string, rule: string) => (rule === 'NO ACTION' ? '' : ` ON ${what} ${rule}`);
    ddl.add(
      'fkeys',
      'FK CONSTRAINT',
      name,
      `ALTER TABLE ${rel(t.name)} ADD CONSTRAINT ${ident(fk.name)} FOREIGN KEY (${fk.columns.map(ident).join(', ')}) REFERENCES ${rel(fk.refTable)} (${fk.refColumns.map(ident).join(', ')})${action('DELETE', fk.onDelete)}${action('UPDATE', fk.onUpdate)}`,
    );
  }
}

/** Plain column names of a partitioning expression (`a`,`b`), or undefined when it is an expression. */
function partitionColumns(expression: string): string[] | undefined {
  const toks = tokenizeMySql(expression).filter((x) => x.kind !== 'space');
  const cols: string[] = [];
  for (let k = 0; k < toks.length; k++) {
    const x = toks[k];
    if (k % 2 === 1) {
      if (x.text !== ',') return undefined;
    } else if (x.kind === 'ident') cols.push(x.value!);
    else if (x.kind === 'word') cols.push(x.text);
    else return undefined;
  }
  return cols;
}

/** Bound values of a partition description ('10', "'2020-01-01',MAXVALUE", '1,2'), or undefined. */
function boundValues(description: string): string[] | undefined {
  const out: string[] = [];
  const toks = tokenizeMySql(description).filter((x) => x.kind !== 'space');
  for (let k = 0; k < toks.length; k++) {
    const x = toks[k];
    if (k % 2 === 1) {
      if (x.text !== ',') return undefined;
      continue;
    }
    if (x.kind === 'string') out.push(quoteLiteral(x.value!));
    else if (x.kind === 'number') out.push(x.text);
    else if (x.kind === 'op' && x.text === '-' && toks[k + 1]?.kind === 'number') {
      out.push(`-${toks[++k].text}`);
    } else if (x.kind === 'word' && /^(MAXVALUE|NULL)$/i.test(x.text)) out.push(x.text.toUpperCase());
    else return undefined;
  }
  return out;
}

/**
 * The PARTITION BY clause of a partitioned table (partitions are emitted into the partitions file), or
 * why the partitioning does not translate.
 */
export function partitionClause(ddl: MyDdl, t: MyTable): { clause?: string; finding?: string } {
  const p = t.partitioning;
  if (!p) return {};
  const method = p.method.toUpperCase().replace(/^LINEAR /, '');
  const why = (reason: string) => ({ finding: `table ${t.name} is partitioned by ${p.method} (${p.expression || 'key'}) and was created unpartitioned: ${reason}` });
  if (p.subpartitioned) return why('subpartitions do not translate');
  const pk = t.indexes.find((i) => i.name === 'PRIMARY');
  const cols = p.expression.trim() === '' && method === 'KEY' ? pk?.parts.map((x) => x.column) : partitionColumns(p.expression);
  if (!cols?.length) return why('PostgreSQL partitions on columns, and this is an expression');
  const byKind = method.startsWith('RANGE') ? 'RANGE' : method.startsWith('LIST') ? 'LIST' : 'HASH';
  if (byKind === 'LIST' && cols.length > 1) return why('PostgreSQL lists one column');

  const bounds: string[] = [];
  let from = cols.map(() => 'MINVALUE');
  for (const [i, part] of p.partitions.entries()) {
    if (byKind === 'HASH') {
      bounds.push(`FOR VALUES WITH (MODULUS ${p.partitions.length}, REMAINDER ${i})`);
      continue;
    }
    const values = part.description === null ? undefined : boundValues(part.description);
    if (!values) return why(`the bound of partition ${part.name} (${part.description}) does not translate`);
    if (byKind === 'LIST') bounds.push(`FOR VALUES IN (${values.join(', ')})`);
    else {
      if (values.length !== cols.length) return why(`the bound of partition ${part.name} does not match its columns`);
      bounds.push(`FOR VALUES FROM (${from.join(', ')}) TO (${values.join(', ')})`);
      from = values;
    }
  }
  for (const [i, part] of p.partitions.entries()) {
    const name = ddl.uniqueName(pgName(`${t.name}_${part.name}`));
    ddl.add('partitions', 'TABLE', `${TARGET_SCHEMA}.${displayIdent(name)}`, `CREATE TABLE ${relOf(name)} PARTITION OF ${rel(t.name)}\n${bounds[i]}`);
  }
  return { clause: ` PARTITION BY ${byKind} (${cols.map(ident).join(', ')})` };
}
