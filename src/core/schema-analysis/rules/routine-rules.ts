/**
 * Rules about functions and procedures as objects: SQL-standard bodies, C functions, %TYPE in signatures.
 * (What their bodies do is checked by the construct rules.)
 */
import { as, defElems, displayIdent, listName, qualifiedName, type Node } from '../ast.js';
import { KNOWN_ISSUES_PAGE, knownIssue, ybIssue, type Rule } from '../types.js';

const functionOf = (stmt: { tree?: Node }) => as(stmt.tree, 'CreateFunctionStmt');
const routineLabel = (fn: NonNullable<ReturnType<typeof functionOf>>) => {
  const n = listName(fn.funcname);
  return `${fn.is_procedure ? 'procedure' : 'function'} ${qualifiedName([n.schema, n.name])}`;
};

export const sqlBodyFunction: Rule = {
  id: 'SQL_BODY_IN_FUNCTION',
  name: 'SQL-standard function body (BEGIN ATOMIC / RETURN)',
  category: 'unsupported_features',
  suggestion: 'rewrite the body as a string: AS $$ … $$ LANGUAGE sql',
  docsLink: knownIssue('postgresql-12-and-later-features'),
  gh: ybIssue(25575),
  check(stmt) {
    const fn = functionOf(stmt);
    return fn?.sql_body ? [{ reason: `${routineLabel(fn)} has a SQL-standard body (BEGIN ATOMIC … END or RETURN …)` }] : [];
  },
};

export const cLanguageFunction: Rule = {
  id: 'LANGUAGE_C_FUNCTION',
  name: 'LANGUAGE C function',
  category: 'unsupported_features',
  suggestion: 'build and install the shared library on every YugabyteDB node, or reimplement the function in SQL or PL/pgSQL',
  docsLink: KNOWN_ISSUES_PAGE,
  check(stmt) {
    const fn = functionOf(stmt);
    if (!fn) return [];
    const lang = (defElems(fn.options).get('language') ?? '').toLowerCase();
    return lang === 'c' ? [{ reason: `${routineLabel(fn)} is written in C (its shared library is not part of the export)` }] : [];
  },
};

export const percentTypeInSignature: Rule = {
  id: 'REFERENCED_TYPE_DECLARATION',
  name: '%TYPE in a function signature',
  category: 'unsupported_plpgsql_objects',
  suggestion: 'spell out the column\'s data type in the parameter/return type instead of table.column%TYPE',
  docsLink: knownIssue('type-syntax-is-not-supported'),
  gh: ybIssue(23619),
  check(stmt) {
    const fn = functionOf(stmt);
    if (!fn) return [];
    const found: string[] = [];
    for (const p of fn.parameters ?? []) {
      const param = as(p, 'FunctionParameter');
      if (param?.argType?.pct_type) found.push(`parameter ${displayIdent(param.name ?? '?')}`);
    }
    if (fn.returnType?.pct_type) found.push('return type');
    return found.length ? [{ reason: `${routineLabel(fn)} declares ${found.join(', ')} with %TYPE` }] : [];
  },
};

export const ROUTINE_RULES: readonly Rule[] = [sqlBodyFunction, cLanguageFunction, percentTypeInSignature];
