/**
 * Rules about indexes: access methods YugabyteDB lacks, GIN shapes it does not support, and keys over types
 * its LSM indexes cannot order.
 */
import type { IndexElem } from 'libpg-query';
import { as, displayIdent, relKey, relName, typeRef, type Node, type TypeRef } from '../ast.js';
import type { SchemaCatalog } from '../catalog.js';
import { notIndexableReason } from '../type-classes.js';
import { knownIssue, ybIssue, type Finding, type Rule } from '../types.js';

const UNSUPPORTED_METHODS = new Set(['gist', 'brin', 'spgist']);
/** Methods whose keys YugabyteDB stores in an ordered LSM index (btree and hash both become lsm). */
export const LSM_METHODS: ReadonlySet<string> = new Set(['btree', 'hash', 'lsm']);

function indexOf(stmt: { tree?: Node }) {
  return as(stmt.tree, 'IndexStmt');
}

export function indexElems(stmt: { tree?: Node }): IndexElem[] {
  return (indexOf(stmt)?.indexParams ?? []).map((n) => as(n, 'IndexElem')).filter((e): e is IndexElem => Boolean(e));
}

/** The type an index key has: the column's type, or the type an expression key is cast to. */
export function indexKeyType(elem: IndexElem, tableKey: string, catalog: SchemaCatalog): { label: string; type?: TypeRef } {
  if (elem.name) return { label: `column ${displayIdent(elem.name)}`, type: catalog.column(tableKey, elem.name)?.type };
  const cast = as(elem.expr, 'TypeCast');
  return { label: 'expression', type: cast ? typeRef(cast.typeName) : undefined };
}

export const unsupportedIndexMethod: Rule = {
  id: 'UNSUPPORTED_INDEX_METHOD',
  name: 'Unsupported index method (GiST, BRIN, SP-GiST)',
  category: 'unsupported_features',
  suggestion: 'drop the index, or replace it by a btree/GIN index that serves the same queries',
  docsLink: knownIssue('gist-brin-and-spgist-index-types-are-not-supported'),
  gh: ybIssue(1337),
  check(stmt) {
    const index = indexOf(stmt);
    const method = (index?.accessMethod ?? '').toLowerCase();
    return index && UNSUPPORTED_METHODS.has(method) ? [{ reason: `index ${displayIdent(index.idxname ?? '')} uses access method ${method.toUpperCase()}, which YugabyteDB does not support` }] : [];
  },
};

export const multiColumnGinIndex: Rule = {
  id: 'MULTI_COLUMN_GIN_INDEX',
  name: 'Multi-column GIN index',
  category: 'unsupported_features',
  suggestion: 'create one GIN index per column',
  docsLink: knownIssue('gin-indexes-on-multiple-columns-are-not-supported'),
  gh: ybIssue(10652),
  check(stmt) {
    const index = indexOf(stmt);
    if ((index?.accessMethod ?? '').toLowerCase() !== 'gin') return [];
    const n = index?.indexParams?.length ?? 0;
    return n > 1 ? [{ reason: `GIN index ${displayIdent(index?.idxname ?? '')} has ${n} key columns` }] : [];
  },
};

export const orderedGinIndex: Rule = {
  id: 'ORDERED_GIN_INDEX',
  name: 'GIN index with ordering',
  category: 'unsupported_features',
  suggestion: 'remove ASC/DESC/NULLS FIRST|LAST from the GIN index keys (GIN keys have no order)',
  docsLink: knownIssue('issue-in-some-unsupported-cases-of-gin-indexes'),
  gh: ybIssue(10653),
  check(stmt) {
    const index = indexOf(stmt);
    if ((index?.accessMethod ?? '').toLowerCase() !== 'gin') return [];
    const ordered = indexElems(stmt).filter((e) => (e.ordering && e.ordering !== 'SORTBY_DEFAULT') || (e.nulls_ordering && e.nulls_ordering !== 'SORTBY_NULLS_DEFAULT'));
    return ordered.length ? [{ reason: `GIN index ${displayIdent(index?.idxname ?? '')} orders its keys` }] : [];
  },
};

export const indexOnUnindexableType: Rule = {
  id: 'INDEX_ON_UNSUPPORTED_TYPE',
  name: 'Index on a type that cannot be indexed',
  category: 'unsupported_features',
  suggestion: 'index an expression of an indexable type instead (e.g. (col::text) or md5(col::text)), or use a GIN index where the type has a GIN operator class (jsonb, tsvector, arrays)',
  docsLink: knownIssue('indexes-on-some-complex-data-types-are-not-supported'),
  gh: ybIssue(25003),
  check(stmt, catalog) {
    const index = indexOf(stmt);
    if (!index || !LSM_METHODS.has((index.accessMethod ?? 'btree').toLowerCase())) return [];
    const tableKey = relKey(relName(index.relation));
    const out: Finding[] = [];
    for (const elem of indexElems(stmt)) {
      const { label, type } = indexKeyType(elem, tableKey, catalog);
      const why = type ? notIndexableReason(type, catalog) : undefined;
      if (why) out.push({ reason: `index ${displayIdent(index.idxname ?? '')} has a key on ${label} of ${why}, which YugabyteDB cannot index` });
    }
    return out;
  },
};

export const INDEX_RULES: readonly Rule[] = [unsupportedIndexMethod, multiColumnGinIndex, orderedGinIndex, indexOnUnindexableType];
