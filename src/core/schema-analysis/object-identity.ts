/**
 * Which object a statement defines or alters, named from the parse tree (never from the `-- type: name`
 * comments export schema writes: users edit the files, comments drift).
 */
import { as, displayIdent, displayRel, kindOf, listName, qualifiedName, relName, strings, type Node } from './ast.js';
import type { ObjectRef } from './types.js';

export interface StatementObject extends ObjectRef {
  /** True when the statement creates the object (it counts in the per-type totals). */
  defines: boolean;
}

const ALTER_OBJECT_TYPES: Record<string, string> = {
  OBJECT_TABLE: 'TABLE',
  OBJECT_INDEX: 'INDEX',
  OBJECT_SEQUENCE: 'SEQUENCE',
  OBJECT_VIEW: 'VIEW',
  OBJECT_MATVIEW: 'MVIEW',
  OBJECT_FOREIGN_TABLE: 'FOREIGN TABLE',
  OBJECT_TYPE: 'TYPE',
};

const DEFINE_KINDS: Record<string, string> = {
  OBJECT_AGGREGATE: 'AGGREGATE',
  OBJECT_OPERATOR: 'OPERATOR',
  OBJECT_TYPE: 'TYPE',
  OBJECT_COLLATION: 'COLLATION',
  OBJECT_TSDICTIONARY: 'TEXT SEARCH DICTIONARY',
  OBJECT_TSCONFIGURATION: 'TEXT SEARCH CONFIGURATION',
  OBJECT_TSPARSER: 'TEXT SEARCH PARSER',
  OBJECT_TSTEMPLATE: 'TEXT SEARCH TEMPLATE',
};

const on = (name: string | undefined, table: Node | undefined) => {
  const rv = as(table, 'RangeVar');
  return `${displayIdent(name ?? '')} ON ${displayRel(relName(rv))}`;
};

const nameOf = (list: readonly Node[] | undefined) => {
  const n = listName(list);
  return qualifiedName(strings(list).length >= 2 ? [n.schema, n.name] : [n.name]);
};

/** The object of a statement, or undefined for statements that are not about one object (SET, GRANT…). */
export function objectOf(tree: Node | undefined): StatementObject | undefined {
  if (!tree) return undefined;
  const def = (type: string, name: string): StatementObject => ({ type, name, defines: true });
  const alt = (type: string, name: string): StatementObject => ({ type, name, defines: false });

  const create = as(tree, 'CreateStmt');
  if (create) return def('TABLE', displayRel(relName(create.relation)));
  const foreign = as(tree, 'CreateForeignTableStmt');
  if (foreign) return def('FOREIGN TABLE', displayRel(relName(foreign.base?.relation)));
  const ctas = as(tree, 'CreateTableAsStmt');
  if (ctas) return def(ctas.objtype === 'OBJECT_MATVIEW' ? 'MVIEW' : 'TABLE', displayRel(relName(ctas.into?.rel)));
  const view = as(tree, 'ViewStmt');
  if (view) return def('VIEW', displayRel(relName(view.view)));
  const index = as(tree, 'IndexStmt');
  if (index) return def('INDEX', `${displayIdent(index.idxname ?? '')} ON ${displayRel(relName(index.relation))}`);
  const alter = as(tree, 'AlterTableStmt');
  if (alter) return alt(ALTER_OBJECT_TYPES[alter.objtype ?? 'OBJECT_TABLE'] ?? 'TABLE', displayRel(relName(alter.relation)));
  const seq = as(tree, 'CreateSeqStmt');
  if (seq) return def('SEQUENCE', displayRel(relName(seq.sequence)));
  const altSeq = as(tree, 'AlterSeqStmt');
  if (altSeq) return alt('SEQUENCE', displayRel(relName(altSeq.sequence)));
  const fn = as(tree, 'CreateFunctionStmt');
  if (fn) return def(fn.is_procedure ? 'PROCEDURE' : 'FUNCTION', nameOf(fn.funcname));
  const trig = as(tree, 'CreateTrigStmt');
  if (trig) return def('TRIGGER', on(trig.trigname, trig.relation ? { RangeVar: trig.relation } : undefined));
  const rule = as(tree, 'RuleStmt');
  if (rule) return def('RULE', on(rule.rulename, rule.relation ? { RangeVar: rule.relation } : undefined));
  const policy = as(tree, 'CreatePolicyStmt');
  if (policy) return def('POLICY', on(policy.policy_name, policy.table ? { RangeVar: policy.table } : undefined));
  const schema = as(tree, 'CreateSchemaStmt');
  if (schema) return def('SCHEMA', displayIdent(schema.schemaname ?? ''));
  const ext = as(tree, 'CreateExtensionStmt');
  if (ext) return def('EXTENSION', displayIdent(ext.extname ?? ''));
  const en = as(tree, 'CreateEnumStmt');
  if (en) return def('TYPE', nameOf(en.typeName));
  const comp = as(tree, 'CompositeTypeStmt');
  if (comp) return def('TYPE', displayRel(relName(comp.typevar)));
  const range = as(tree, 'CreateRangeStmt');
  if (range) return def('TYPE', nameOf(range.typeName));
  const domain = as(tree, 'CreateDomainStmt');
  if (domain) return def('DOMAIN', nameOf(domain.domainname));
  const define = as(tree, 'DefineStmt');
  if (define) return def(DEFINE_KINDS[define.kind ?? ''] ?? 'OBJECT', nameOf(define.defnames));
  const am = as(tree, 'CreateAmStmt');
  if (am) return def('ACCESS METHOD', displayIdent(am.amname ?? ''));
  const conv = as(tree, 'CreateConversionStmt');
  if (conv) return def('CONVERSION', nameOf(conv.conversion_name));
  const server = as(tree, 'CreateForeignServerStmt');
  if (server) return def('SERVER', displayIdent(server.servername ?? ''));
  const evt = as(tree, 'CreateEventTrigStmt');
  if (evt) return def('EVENT TRIGGER', displayIdent(evt.trigname ?? ''));
  const stats = as(tree, 'CreateStatsStmt');
  if (stats) return def('STATISTICS', nameOf(stats.defnames));
  const coll = as(tree, 'AlterCollationStmt');
  if (coll) return alt('COLLATION', nameOf(coll.collname));
  const altDomain = as(tree, 'AlterDomainStmt');
  if (altDomain) return alt('DOMAIN', nameOf(altDomain.typeName));
  const altEnum = as(tree, 'AlterEnumStmt');
  if (altEnum) return alt('TYPE', nameOf(altEnum.typeName));
  if (as(tree, 'DoStmt')) return alt('DO BLOCK', 'DO');

  // Statements that are about no single object. SET, GRANT, COMMENT, ownership changes are expected in an
  // exported schema and carry nothing to report on; others (COPY, MERGE, NOTIFY…) are named by their kind.
  const kind = kindOf(tree) ?? '';
  if (['VariableSetStmt', 'GrantStmt', 'GrantRoleStmt', 'CommentStmt', 'AlterOwnerStmt', 'AlterDefaultPrivilegesStmt', 'SelectStmt', 'SecLabelStmt'].includes(kind)) {
    return undefined;
  }
  return alt('UNCATEGORIZED', kind.replace(/Stmt$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase());
}
