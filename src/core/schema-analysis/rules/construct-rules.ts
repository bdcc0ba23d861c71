/**
 * Rules about SQL constructs wherever they appear: in views, rules, policies, defaults, and in the statements
 * and expressions parsed out of function/procedure bodies. When a body could not be parsed, each rule falls
 * back to a pattern over the body text (and says so in the reason).
 */
import { as, findAll, funcCallName, strings, walk, type Node } from '../ast.js';
import { KNOWN_ISSUES_PAGE, knownIssue, ybIssue, type Finding, type ParsedStatement, type Rule } from '../types.js';
import { constructCategory, sqlTrees, unique, unparsedBodyText } from './rule-helpers.js';

interface ConstructSpec {
  id: string;
  name: string;
  suggestion: string;
  docsLink?: string;
  gh?: string;
  /** What is found, for the reason: "advisory lock function(s)". */
  what: string;
  /** Descriptions of each occurrence in the parse trees. */
  find(trees: readonly Node[]): string[];
  /** Fallback over the text of a body that did not parse. */
  pattern?: RegExp;
}

function where(stmt: ParsedStatement): string {
  return stmt.body && stmt.object ? ` in the body of ${stmt.object.type.toLowerCase()} ${stmt.object.name}` : '';
}

/** A rule that reports a construct found anywhere in a statement's SQL. */
export function constructRule(spec: ConstructSpec): Rule {
  return {
    id: spec.id,
    name: spec.name,
    category: 'unsupported_features',
    suggestion: spec.suggestion,
    docsLink: spec.docsLink,
    gh: spec.gh,
    check(stmt): Finding[] {
      const found = unique(spec.find(sqlTrees(stmt)));
      const text = unparsedBodyText(stmt);
      let byPattern = false;
      if (text && spec.pattern) {
        const flags = spec.pattern.flags.includes('g') ? spec.pattern.flags : `${spec.pattern.flags}g`;
        const hits = unique([...text.matchAll(new RegExp(spec.pattern.source, flags))].map((m) => m[0].replace(/\s*\($/, '').replace(/\s+/g, ' ')));
        if (hits.length) byPattern = true;
        for (const h of hits) if (!found.includes(h)) found.push(h);
      }
      if (!found.length) return [];
      const note = byPattern ? ' (found by a text pattern: the body could not be parsed)' : '';
      return [{ reason: `${spec.what}: ${found.join(', ')}${where(stmt)}${note}`, category: constructCategory(stmt) }];
    },
  };
}

/** Names of called functions (lower-case) that satisfy `match`, including functions a trigger executes. */
function calls(trees: readonly Node[], match: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (const t of trees) {
    for (const fc of findAll(t, 'FuncCall')) {
      const name = funcCallName(fc.funcname);
      if (match(name)) out.push(name);
    }
    for (const trig of findAll(t, 'CreateTrigStmt')) {
      const name = funcCallName(trig.funcname);
      if (match(name)) out.push(name);
    }
  }
  return out;
}

const ADVISORY_LOCK = /^pg_(try_)?advisory_(xact_)?(lock|unlock)(_shared|_all)?$/;

export const advisoryLocks = constructRule({
  id: 'ADVISORY_LOCKS',
  name: 'Advisory locks',
  what: 'advisory lock function(s)',
  suggestion: 'advisory locks are not supported by YugabyteDB (recent releases add them behind a flag); use row locks instead: SELECT … FOR UPDATE on a row of a lock table',
  docsLink: knownIssue('advisory-locks-is-not-yet-implemented'),
  gh: ybIssue(3642),
  find: (trees) => calls(trees, (n) => ADVISORY_LOCK.test(n)),
  pattern: /\bpg_(?:try_)?advisory_(?:xact_)?(?:lock|unlock)(?:_shared|_all)?\s*\(/i,
});

const SYSTEM_COLUMNS = new Set(['xmin', 'xmax', 'cmin', 'cmax', 'ctid']);

export const systemColumns = constructRule({
  id: 'SYSTEM_COLUMNS',
  name: 'System columns',
  what: 'system column(s)',
  suggestion: 'YugabyteDB tables have no xmin/xmax/cmin/cmax/ctid: use an explicit version or timestamp column, or the primary key',
  docsLink: knownIssue('system-columns-is-not-yet-supported'),
  gh: ybIssue(24843),
  find(trees) {
    const out: string[] = [];
    for (const t of trees) for (const ref of findAll(t, 'ColumnRef')) {
      const parts = strings(ref.fields);
      const last = parts[parts.length - 1];
      if (last && SYSTEM_COLUMNS.has(last)) out.push(last);
    }
    return out;
  },
  pattern: /\b(?:xmin|xmax|cmin|cmax|ctid)\b/i,
});

export const listenNotify = constructRule({
  id: 'LISTEN_NOTIFY',
  name: 'LISTEN / NOTIFY',
  what: 'asynchronous notification command(s)',
  suggestion: 'LISTEN/NOTIFY is not supported by YugabyteDB (notifications are not delivered); use a queue table polled by the listener, or an external message broker',
  docsLink: KNOWN_ISSUES_PAGE,
  find(trees) {
    const out: string[] = [];
    for (const t of trees) {
      walk(t, (kind) => {
        if (kind === 'ListenStmt') out.push('LISTEN');
        if (kind === 'NotifyStmt') out.push('NOTIFY');
        if (kind === 'UnlistenStmt') out.push('UNLISTEN');
      });
    }
    return [...out, ...calls(trees, (n) => n === 'pg_notify')];
  },
  pattern: /\b(?:LISTEN|UNLISTEN|NOTIFY)\s+[A-Za-z_"*]|\bpg_notify\s*\(/i,
});

export const twoPhaseCommit = constructRule({
  id: 'TWO_PHASE_COMMIT',
  name: 'Two-phase commit',
  what: 'two-phase commit command(s)',
  suggestion: 'YugabyteDB does not support PREPARE TRANSACTION / COMMIT PREPARED; commit in one phase',
  docsLink: KNOWN_ISSUES_PAGE,
  find(trees) {
    const out: string[] = [];
    for (const t of trees) for (const tx of findAll(t, 'TransactionStmt')) {
      if (tx.kind === 'TRANS_STMT_PREPARE') out.push('PREPARE TRANSACTION');
      if (tx.kind === 'TRANS_STMT_COMMIT_PREPARED') out.push('COMMIT PREPARED');
      if (tx.kind === 'TRANS_STMT_ROLLBACK_PREPARED') out.push('ROLLBACK PREPARED');
    }
    return out;
  },
  pattern: /\b(?:PREPARE\s+TRANSACTION|COMMIT\s+PREPARED|ROLLBACK\s+PREPARED)\b/i,
});

export const mergeStatement = constructRule({
  id: 'MERGE_STATEMENT',
  name: 'MERGE statement',
  what: 'MERGE statement(s)',
  suggestion: 'rewrite as INSERT … ON CONFLICT … DO UPDATE, or as separate UPDATE/INSERT/DELETE statements',
  docsLink: knownIssue('merge-command'),
  gh: ybIssue(25574),
  find: (trees) => trees.flatMap((t) => findAll(t, 'MergeStmt').map(() => 'MERGE')),
  pattern: /\bMERGE\s+INTO\b/i,
});

export const copyFromWhere = constructRule({
  id: 'COPY_FROM_WHERE_OR_ON_ERROR',
  name: 'COPY FROM … WHERE / ON_ERROR',
  what: 'COPY option(s)',
  suggestion: 'load into a staging table and filter with INSERT … SELECT … WHERE; handle bad rows before loading',
  docsLink: knownIssue('postgresql-12-and-later-features'),
  gh: ybIssue(25575),
  find(trees) {
    const out: string[] = [];
    for (const t of trees) for (const copy of findAll(t, 'CopyStmt')) {
      if (copy.is_from && copy.whereClause) out.push('COPY FROM … WHERE');
      for (const o of copy.options ?? []) if (as(o, 'DefElem')?.defname === 'on_error') out.push('COPY … (ON_ERROR …)');
    }
    return out;
  },
});

const XML_FUNCTIONS = new Set([
  'xmlagg', 'xpath', 'xpath_exists', 'xml_is_well_formed', 'xml_is_well_formed_document', 'xml_is_well_formed_content',
  'table_to_xml', 'table_to_xmlschema', 'query_to_xml', 'query_to_xmlschema', 'cursor_to_xml', 'schema_to_xml',
  'database_to_xml', 'xmlcomment', 'xmltext', 'xmlvalidate',
]);

export const xmlFunctions = constructRule({
  id: 'XML_FUNCTIONS',
  name: 'XML functions',
  what: 'XML function(s)',
  suggestion: 'YugabyteDB is built without libxml: move XML processing to the application',
  docsLink: knownIssue('xml-functions-is-not-yet-supported'),
  gh: ybIssue(1043),
  find(trees) {
    const out: string[] = [];
    for (const t of trees) {
      walk(t, (kind, inner) => {
        if (kind === 'XmlExpr') out.push(String(inner.op ?? 'XMLEXPR').replace(/^IS_/, '').toLowerCase());
        if (kind === 'XmlSerialize') out.push('xmlserialize');
        if (kind === 'RangeTableFunc') out.push('xmltable');
      });
    }
    return [...out, ...calls(trees, (n) => XML_FUNCTIONS.has(n))];
  },
  pattern: /\b(?:xmlparse|xmlelement|xmlforest|xmlagg|xmlconcat|xmlserialize|xmltable|xpath|xpath_exists|xml_is_well_formed\w*|table_to_xml|query_to_xml)\s*\(/i,
});

const LARGE_OBJECT_FUNCTIONS = new Set([
  'lo_create', 'lo_creat', 'lo_import', 'lo_export', 'lo_unlink', 'lo_open', 'lo_close', 'loread', 'lowrite',
  'lo_get', 'lo_put', 'lo_from_bytea', 'lo_truncate', 'lo_truncate64', 'lo_lseek', 'lo_lseek64', 'lo_tell', 'lo_tell64', 'lo_manage',
]);

export const largeObjectFunctions = constructRule({
  id: 'LARGE_OBJECT_FUNCTIONS',
  name: 'Large object functions',
  what: 'large object function(s)',
  suggestion: 'large objects are not supported by YugabyteDB: keep the content in bytea columns',
  docsLink: knownIssue('large-objects-and-its-functions-are-currently-not-supported'),
  gh: ybIssue(25318),
  find: (trees) => calls(trees, (n) => LARGE_OBJECT_FUNCTIONS.has(n)),
  pattern: /\b(?:lo_(?:create|creat|import|export|unlink|open|close|get|put|from_bytea|truncate|lseek|tell|manage)|loread|lowrite)\s*\(/i,
});

export const fetchWithTies = constructRule({
  id: 'FETCH_WITH_TIES',
  name: 'FETCH FIRST … WITH TIES',
  what: 'row limit with ties',
  suggestion: 'use a window function (rank() … <= n) instead of FETCH FIRST n ROWS WITH TIES',
  docsLink: knownIssue('postgresql-12-and-later-features'),
  gh: ybIssue(25575),
  find: (trees) => trees.flatMap((t) => findAll(t, 'SelectStmt').filter((s) => s.limitOption === 'LIMIT_OPTION_WITH_TIES').map(() => 'FETCH … WITH TIES')),
  pattern: /\bWITH\s+TIES\b/i,
});

/** SQL/JSON constructs of PostgreSQL 16 and 17 (YugabyteDB is based on PostgreSQL 15 at most). */
const JSON_NODE_LABELS: Record<string, string> = {
  JsonIsPredicate: 'IS JSON',
  JsonObjectConstructor: 'JSON_OBJECT',
  JsonArrayConstructor: 'JSON_ARRAY',
  JsonArrayQueryConstructor: 'JSON_ARRAY(query)',
  JsonObjectAgg: 'JSON_OBJECTAGG',
  JsonArrayAgg: 'JSON_ARRAYAGG',
  JsonFuncExpr: 'JSON_QUERY/JSON_VALUE/JSON_EXISTS',
  JsonTable: 'JSON_TABLE',
  JsonParseExpr: 'JSON()',
  JsonScalarExpr: 'JSON_SCALAR',
  JsonSerializeExpr: 'JSON_SERIALIZE',
};

export const newerPostgresFeatures = constructRule({
  id: 'POSTGRESQL_16_PLUS_FEATURES',
  name: 'PostgreSQL 16+ SQL/JSON and aggregate features',
  what: 'PostgreSQL 16+ construct(s)',
  suggestion: 'rewrite with the jsonb functions and operators of PostgreSQL 15 (jsonb_build_object, jsonb_path_query…), and min()/max() instead of any_value()',
  docsLink: knownIssue('postgresql-12-and-later-features'),
  gh: ybIssue(25575),
  find(trees) {
    const out: string[] = [];
    for (const t of trees) walk(t, (kind) => {
      const label = JSON_NODE_LABELS[kind];
      if (label) out.push(label);
    });
    return [...out, ...calls(trees, (n) => n === 'any_value')];
  },
  pattern: /\b(?:any_value|json_object|json_array|json_arrayagg|json_objectagg|json_query|json_value|json_exists|json_table|json_scalar|json_serialize)\s*\(|\bIS\s+(?:NOT\s+)?JSON\b/i,
});

export const CONSTRUCT_RULES: readonly Rule[] = [
  advisoryLocks, systemColumns, listenNotify, twoPhaseCommit, mergeStatement, copyFromWhere, xmlFunctions, largeObjectFunctions,
  fetchWithTies, newerPostgresFeatures,
];
