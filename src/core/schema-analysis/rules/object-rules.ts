/**
 * Rules about other schema objects: policies, views, collations, extensions, access methods, conversions.
 */
import { as, defElems, displayIdent, displayRel, isTrueOption, listName, qualifiedName, relName } from '../ast.js';
import { KNOWN_ISSUES_PAGE, knownIssue, voyagerIssue, ybIssue, type Rule } from '../types.js';

export const policyWithRoles: Rule = {
  id: 'POLICY_WITH_ROLES',
  name: 'Policy for specific roles',
  category: 'migration_caveats',
  suggestion: 'create these roles on the target before importing the schema (roles are not exported)',
  docsLink: knownIssue('policies-on-users-in-source-require-manual-user-creation'),
  gh: voyagerIssue(1655),
  check(stmt) {
    const policy = as(stmt.tree, 'CreatePolicyStmt');
    if (!policy) return [];
    const roles = (policy.roles ?? [])
      .map((n) => as(n, 'RoleSpec'))
      .filter((r) => r?.roletype === 'ROLESPEC_CSTRING' && r.rolename)
      .map((r) => displayIdent(r!.rolename!));
    return roles.length
      ? [{ reason: `policy ${displayIdent(policy.policy_name ?? '')} on ${displayRel(relName(policy.table))} applies to role(s) ${roles.join(', ')}`, suggestion: `create role(s) ${roles.join(', ')} on the target before importing the schema` }]
      : [];
  },
};

export const securityInvokerView: Rule = {
  id: 'SECURITY_INVOKER_VIEW',
  name: 'Security invoker view',
  category: 'unsupported_features',
  suggestion: 'remove security_invoker and grant the view\'s owner what the view needs (YugabyteDB 2.25+ supports it)',
  docsLink: knownIssue('postgresql-12-and-later-features'),
  gh: ybIssue(25575),
  check(stmt) {
    const view = as(stmt.tree, 'ViewStmt');
    const opt = defElems(view?.options).get('security_invoker');
    return view && isTrueOption(opt) ? [{ reason: `view ${displayRel(relName(view.view))} is created WITH (security_invoker)` }] : [];
  },
};

export const viewWithCheckOption: Rule = {
  id: 'VIEW_WITH_CHECK_OPTION',
  name: 'View WITH CHECK OPTION',
  category: 'unsupported_features',
  suggestion: 'drop WITH CHECK OPTION and enforce the view\'s condition with a trigger or a CHECK constraint on the base table',
  docsLink: KNOWN_ISSUES_PAGE,
  check(stmt) {
    const view = as(stmt.tree, 'ViewStmt');
    if (!view?.withCheckOption || view.withCheckOption === 'NO_CHECK_OPTION') return [];
    const level = view.withCheckOption === 'LOCAL_CHECK_OPTION' ? 'LOCAL' : 'CASCADED';
    return [{ reason: `view ${displayRel(relName(view.view))} is created WITH ${level} CHECK OPTION` }];
  },
};

export const collationDeterministicOption: Rule = {
  id: 'COLLATION_DETERMINISTIC_OPTION',
  name: 'Collation with the DETERMINISTIC option',
  category: 'unsupported_features',
  suggestion: 'remove the deterministic option; for case-insensitive matching use lower() in queries and expression indexes, or citext',
  docsLink: knownIssue('postgresql-12-and-later-features'),
  gh: ybIssue(25575),
  check(stmt) {
    const def = as(stmt.tree, 'DefineStmt');
    if (def?.kind !== 'OBJECT_COLLATION') return [];
    const value = defElems(def.definition).get('deterministic');
    if (value === undefined) return [];
    const n = listName(def.defnames);
    const name = qualifiedName([n.schema, n.name]);
    return isTrueOption(value)
      ? [{ reason: `collation ${name} sets the deterministic option, which YugabyteDB does not accept` }]
      : [{ reason: `collation ${name} is non-deterministic (deterministic = false), which YugabyteDB does not support` }];
  },
};

/** Extensions YugabyteDB ships (from its documentation). */
const YB_EXTENSIONS = new Set([
  'adminpack', 'amcheck', 'autoinc', 'bloom', 'btree_gin', 'btree_gist', 'citext', 'cube', 'dblink', 'dict_int', 'dict_xsyn',
  'earthdistance', 'file_fdw', 'fuzzystrmatch', 'hll', 'hstore', 'hypopg', 'insert_username', 'intagg', 'intarray', 'isn',
  'lo', 'ltree', 'moddatetime', 'orafce', 'pageinspect', 'pg_buffercache', 'pg_cron', 'pg_freespacemap', 'pg_hint_plan',
  'pg_prewarm', 'pg_stat_monitor', 'pg_stat_statements', 'pg_trgm', 'pg_visibility', 'pgaudit', 'pgcrypto', 'pgrowlocks',
  'pgstattuple', 'plpgsql', 'postgres_fdw', 'refint', 'seg', 'sslinfo', 'tablefunc', 'tcn', 'timetravel', 'tsm_system_rows',
  'tsm_system_time', 'unaccent', 'uuid-ossp', 'vector', 'yb_pg_metrics',
]);

export const unsupportedExtension: Rule = {
  id: 'UNSUPPORTED_EXTENSION',
  name: 'Extension not available in YugabyteDB',
  category: 'unsupported_features',
  suggestion: 'remove the extension and the objects that depend on it, or find an equivalent YugabyteDB supports',
  docsLink: 'https://docs.yugabyte.com/preview/explore/ysql-language-features/pg-extensions/',
  check(stmt) {
    const ext = as(stmt.tree, 'CreateExtensionStmt');
    return ext?.extname && !YB_EXTENSIONS.has(ext.extname) ? [{ reason: `extension ${displayIdent(ext.extname)} is not available in YugabyteDB` }] : [];
  },
};

export const createAccessMethod: Rule = {
  id: 'CREATE_ACCESS_METHOD',
  name: 'CREATE ACCESS METHOD',
  category: 'unsupported_features',
  suggestion: 'remove the access method and the objects that use it',
  docsLink: KNOWN_ISSUES_PAGE,
  check(stmt) {
    const am = as(stmt.tree, 'CreateAmStmt');
    return am ? [{ reason: `CREATE ACCESS METHOD ${displayIdent(am.amname ?? '')}` }] : [];
  },
};

export const createConversion: Rule = {
  id: 'CREATE_CONVERSION',
  name: 'CREATE CONVERSION',
  category: 'unsupported_features',
  suggestion: 'remove the conversion; convert encodings in the application (YugabyteDB databases are UTF8)',
  docsLink: KNOWN_ISSUES_PAGE,
  check(stmt) {
    const conv = as(stmt.tree, 'CreateConversionStmt');
    if (!conv) return [];
    const n = listName(conv.conversion_name);
    return [{ reason: `CREATE CONVERSION ${qualifiedName([n.schema, n.name])}` }];
  },
};

export const OBJECT_RULES: readonly Rule[] = [
  policyWithRoles, securityInvokerView, viewWithCheckOption, collationDeterministicOption, unsupportedExtension, createAccessMethod, createConversion,
];
