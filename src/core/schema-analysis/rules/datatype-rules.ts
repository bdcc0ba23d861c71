/**
 * Rules about column data types: types YugabyteDB cannot store, and types the live-migration stream (or its
 * fall-back direction) cannot carry.
 */
import { as, displayIdent, displayRel, relName, typeRef, type Node, type TypeRef } from '../ast.js';
import type { SchemaCatalog } from '../catalog.js';
import { FALL_BACK_UNSUPPORTED_TYPES, LIVE_MIGRATION_UNSUPPORTED_TYPES, UNSUPPORTED_TYPES } from '../type-classes.js';
import { knownIssue, voyagerIssue, ybIssue, type Finding, type Rule } from '../types.js';
import { columnDefinitions } from './rule-helpers.js';

interface TypeSite {
  /** e.g. `column public.t.c`, `attribute of type public.addr`, `domain public.d` */
  where: string;
  type: TypeRef;
  /** Table columns (live-migration rules only look at these). */
  isTableColumn: boolean;
}

function typeSites(tree: Node | undefined): TypeSite[] {
  const out: TypeSite[] = [];
  for (const { table, column } of columnDefinitions(tree)) {
    const type = typeRef(column.typeName);
    if (type) out.push({ where: `column ${displayRel(table)}.${displayIdent(column.colname ?? '')}`, type, isTableColumn: true });
  }
  const comp = as(tree, 'CompositeTypeStmt');
  for (const n of comp?.coldeflist ?? []) {
    const col = as(n, 'ColumnDef');
    const type = typeRef(col?.typeName);
    if (col && type) out.push({ where: `attribute ${displayIdent(col.colname ?? '')} of type ${displayRel(relName(comp?.typevar))}`, type, isTableColumn: false });
  }
  const domain = as(tree, 'CreateDomainStmt');
  const domainType = typeRef(domain?.typeName);
  if (domain && domainType) out.push({ where: 'domain base type', type: domainType, isTableColumn: false });
  return out;
}

export const unsupportedDatatype: Rule = {
  id: 'UNSUPPORTED_DATATYPE',
  name: 'Data type not supported by YugabyteDB',
  category: 'unsupported_datatypes',
  suggestion: 'change the column to a supported type (see the reason for a replacement), or leave the table out of the migration',
  docsLink: knownIssue('unsupported-datatypes-by-yugabytedb'),
  gh: voyagerIssue(1731),
  check(stmt, catalog) {
    const out: Finding[] = [];
    for (const site of typeSites(stmt.tree)) {
      const user = catalog.userType(site.type);
      if (user?.kind === 'multirange') {
        out.push({
          reason: `${site.where} has multirange type ${site.type.display}, not supported by YugabyteDB`,
          suggestion: 'store the ranges as an array of the range type',
          docsLink: knownIssue('postgresql-12-and-later-features'),
          gh: ybIssue(25575),
        });
        continue;
      }
      if (user) continue;
      const info = UNSUPPORTED_TYPES.get(site.type.name);
      if (info) {
        out.push({
          reason: `${site.where} has type ${site.type.display}${info.label === site.type.name ? '' : ` (${info.label})`}, not supported by YugabyteDB`,
          suggestion: info.suggestion,
          docsLink: knownIssue(info.docsAnchor),
          gh: info.gh ? ybIssue(info.gh) : undefined,
        });
      }
    }
    return out;
  },
};

function effectiveType(t: TypeRef, catalog: SchemaCatalog): TypeRef {
  return catalog.resolveDomain(t);
}

export const liveMigrationUnsupportedDatatype: Rule = {
  id: 'UNSUPPORTED_DATATYPE_LIVE_MIGRATION',
  name: 'Data type not supported by live migration',
  category: 'migration_caveats',
  suggestion: 'an offline (snapshot-only) migration carries these columns; in a live migration their changes are not streamed, so change the type (e.g. to text) or migrate the table offline',
  docsLink: knownIssue('unsupported-datatypes-by-voyager-during-live-migration'),
  gh: voyagerIssue(1731),
  check(stmt, catalog) {
    const out: Finding[] = [];
    for (const site of typeSites(stmt.tree)) {
      if (!site.isTableColumn) continue;
      const t = effectiveType(site.type, catalog);
      if (catalog.userType(t)) continue;
      if (LIVE_MIGRATION_UNSUPPORTED_TYPES.has(t.name)) {
        out.push({ reason: `${site.where} has type ${site.type.display}${t !== site.type ? ` (over ${t.display})` : ''}, whose changes live migration cannot stream` });
      }
    }
    return out;
  },
};

export const fallBackUnsupportedDatatype: Rule = {
  id: 'UNSUPPORTED_DATATYPE_LIVE_MIGRATION_WITH_FALL_BACK',
  name: 'Data type not supported by live migration with fall-back',
  category: 'migration_caveats',
  suggestion: 'plain live migration works; with --prepare-for-fall-back the changes made on the target to these columns cannot be streamed back to the source',
  docsLink: knownIssue('unsupported-datatypes-by-voyager-during-live-migration'),
  gh: voyagerIssue(1731),
  check(stmt, catalog) {
    const out: Finding[] = [];
    for (const site of typeSites(stmt.tree)) {
      if (!site.isTableColumn) continue;
      const user = catalog.userType(site.type);
      if (user && user.kind !== 'multirange') {
        out.push({ reason: `${site.where} has user-defined ${user.kind} type ${site.type.display}, which the fall-back stream cannot carry` });
      } else if (!user && FALL_BACK_UNSUPPORTED_TYPES.has(site.type.name)) {
        out.push({ reason: `${site.where} has type ${site.type.display}, which the fall-back stream cannot carry` });
      }
    }
    return out;
  },
};

export const DATATYPE_RULES: readonly Rule[] = [unsupportedDatatype, liveMigrationUnsupportedDatatype, fallBackUnsupportedDatatype];
