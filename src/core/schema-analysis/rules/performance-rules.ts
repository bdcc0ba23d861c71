/**
 * Performance advice: indexes that will hurt or not help on a distributed database (timestamp-led keys,
 * redundant indexes) and foreign keys without a supporting index.
 */
import { as, displayIdent, displayRel, relKey, relName, strings } from '../ast.js';
import type { SchemaCatalog } from '../catalog.js';
import { HOTSPOT_TYPES } from '../type-classes.js';
import type { Finding, Rule } from '../types.js';
import { indexElems, indexKeyType, LSM_METHODS } from './index-rules.js';
import { constraintsOf } from './rule-helpers.js';

const YB_DATA_MODELING = 'https://docs.yugabyte.com/preview/develop/data-modeling/';

export const timestampLeadingKey: Rule = {
  id: 'HOTSPOT_ON_TIMESTAMP_KEY',
  name: 'Index or key led by a timestamp/date column',
  category: 'performance_optimizations',
  suggestion: 'on YugabyteDB a plain index on a timestamp is hash-sharded (range scans over time read every tablet) and an ASC/DESC one is range-sharded (new rows all land on the last tablet); if it serves time ranges, lead it with a small bucket column (a few values, computed from the key) so writes spread while range scans stay possible; keep it hash-sharded if it only serves equality lookups',
  docsLink: YB_DATA_MODELING,
  check(stmt, catalog) {
    const out: Finding[] = [];
    const index = as(stmt.tree, 'IndexStmt');
    if (index && LSM_METHODS.has((index.accessMethod ?? 'btree').toLowerCase())) {
      const first = indexElems(stmt)[0];
      const { label, type } = first ? indexKeyType(first, relKey(relName(index.relation)), catalog) : { label: '', type: undefined };
      if (type && !type.isArray && HOTSPOT_TYPES.has(catalog.resolveDomain(type).name)) {
        out.push({ reason: `index ${displayIdent(index.idxname ?? '')} starts with ${label} of type ${type.display}` });
      }
    }
    for (const { table, constraint, column } of constraintsOf(stmt.tree)) {
      if (constraint.contype !== 'CONSTR_PRIMARY' && constraint.contype !== 'CONSTR_UNIQUE') continue;
      const first = column ?? strings(constraint.keys)[0];
      const type = first ? catalog.column(relKey(table), first)?.type : undefined;
      if (type && !type.isArray && HOTSPOT_TYPES.has(catalog.resolveDomain(type).name)) {
        const kind = constraint.contype === 'CONSTR_PRIMARY' ? 'primary key' : 'unique constraint';
        out.push({ reason: `${kind}${constraint.conname ? ` ${displayIdent(constraint.conname)}` : ''} of ${displayRel(table)} starts with column ${displayIdent(first!)} of type ${type.display}` });
      }
    }
    return out;
  },
};

/** Plain key lists (no expressions, no partial predicate) of every LSM index and key constraint on a table. */
function plainKeyLists(catalog: SchemaCatalog, tableKey: string): { name: string; keys: string[]; unique: boolean }[] {
  const out: { name: string; keys: string[]; unique: boolean }[] = [];
  for (const ix of catalog.indexes) {
    if (ix.table !== tableKey || ix.partial || !LSM_METHODS.has(ix.method) || ix.keys.some((k) => k === undefined)) continue;
    out.push({ name: ix.name, keys: ix.keys as string[], unique: ix.unique });
  }
  for (const k of catalog.table(tableKey)?.keys ?? []) {
    const label = k.kind === 'primary' ? 'primary key' : `unique constraint ${k.name ?? ''}`.trim();
    if (!out.some((o) => o.name === k.name)) out.push({ name: label, keys: k.columns, unique: true });
  }
  return out;
}

const startsWith = (keys: readonly string[], prefix: readonly string[]) => prefix.every((c, i) => keys[i] === c);

export const redundantIndex: Rule = {
  id: 'REDUNDANT_INDEX',
  name: 'Redundant index',
  category: 'performance_optimizations',
  suggestion: 'drop the redundant index: the covering index serves the same lookups, and every extra index costs a distributed write per row',
  docsLink: YB_DATA_MODELING,
  check(stmt, catalog) {
    const index = as(stmt.tree, 'IndexStmt');
    if (!index || index.unique || index.whereClause || !LSM_METHODS.has((index.accessMethod ?? 'btree').toLowerCase())) return [];
    const keys = indexElems(stmt).map((e) => e.name);
    if (!keys.length || keys.some((k) => k === undefined) || index.indexIncludingParams?.length) return [];
    const mine = keys as string[];
    const name = index.idxname ?? '';
    const cover = plainKeyLists(catalog, relKey(relName(index.relation))).find(
      (o) => o.name !== name && startsWith(o.keys, mine) && (o.keys.length > mine.length || o.unique || o.name < name),
    );
    return cover ? [{ reason: `index ${displayIdent(name)} (${mine.map(displayIdent).join(', ')}) is covered by ${cover.name.includes(' ') ? cover.name : `index ${displayIdent(cover.name)}`} (${cover.keys.map(displayIdent).join(', ')})` }] : [];
  },
};

export const foreignKeyWithoutIndex: Rule = {
  id: 'MISSING_FOREIGN_KEY_INDEX',
  name: 'Foreign key without an index',
  category: 'performance_optimizations',
  suggestion: 'create an index on the foreign key columns: without one, every delete or key update on the referenced table scans the referencing table across the cluster',
  docsLink: YB_DATA_MODELING,
  check(stmt, catalog) {
    const out: Finding[] = [];
    for (const { table, constraint, column } of constraintsOf(stmt.tree)) {
      if (constraint.contype !== 'CONSTR_FOREIGN') continue;
      const cols = column !== undefined ? [column] : strings(constraint.fk_attrs);
      if (!cols.length) continue;
      const lists = plainKeyLists(catalog, relKey(table));
      const covered = lists.some((l) => l.keys.length >= cols.length && cols.every((c) => l.keys.slice(0, cols.length).includes(c)));
      if (!covered) {
        out.push({
          reason: `foreign key${constraint.conname ? ` ${displayIdent(constraint.conname)}` : ''} on ${displayRel(table)} (${cols.map(displayIdent).join(', ')}) has no index leading with its columns`,
          suggestion: `CREATE INDEX ON ${displayRel(table)} (${cols.map(displayIdent).join(', ')});`,
        });
      }
    }
    return out;
  },
};

export const PERFORMANCE_RULES: readonly Rule[] = [timestampLeadingKey, redundantIndex, foreignKeyWithoutIndex];
