/**
 * PostgreSQL's own parser (libpg-query, PostgreSQL 18 grammar, compiled to WASM; the package pgsql-parser
 * wraps it) for statements and PL/pgSQL bodies. Load it once with loadSqlParser() before parsing.
 *
 * PL/pgSQL bodies: libpg-query's PL/pgSQL parser gives the body's statement tree, in which every embedded SQL
 * statement and expression is a query string; we parse each of those as SQL. When the PL/pgSQL parser cannot
 * read a body, the body is marked for the regex fallback and the reason is kept.
 */
import { loadModule, parsePlPgSQLSync, parseSync, type Node } from 'libpg-query';
import { as, defElems, strings } from './ast.js';
import type { RoutineBody } from './types.js';

let loading: Promise<void> | undefined;

export function loadSqlParser(): Promise<void> {
  loading ??= loadModule();
  return loading;
}

export interface ParsedPiece {
  tree: Node;
  /** The statement's own text (when one piece of text held several statements). */
  sql: string;
}

export type SqlParseResult = { ok: true; statements: ParsedPiece[] } | { ok: false; error: string };

/** Parse one or more SQL statements. Errors carry the parser's message and the line within `sql`. */
export function parseSql(sql: string): SqlParseResult {
  try {
    const result = parseSync(sql);
    const bytes = Buffer.from(sql, 'utf8');
    const statements = (result.stmts ?? []).flatMap((raw) => {
      if (!raw.stmt) return [];
      // Locations are byte offsets into the UTF-8 text.
      const start = raw.stmt_location ?? 0;
      const text = raw.stmt_len ? bytes.subarray(start, start + raw.stmt_len).toString('utf8') : bytes.subarray(start).toString('utf8');
      return [{ tree: raw.stmt, sql: text.trim() }];
    });
    return { ok: true, statements };
  } catch (err) {
    return { ok: false, error: describeParseError(err, sql) };
  }
}

function describeParseError(err: unknown, sql: string): string {
  const e = err as { message?: string; sqlDetails?: { cursorPosition?: number } };
  const message = e?.message ?? String(err);
  const pos = e?.sqlDetails?.cursorPosition;
  if (typeof pos === 'number' && pos > 0) {
    const before = Buffer.from(sql, 'utf8').subarray(0, pos).toString('utf8');
    const line = before.split('\n').length;
    return `${message} (line ${line} of the statement)`;
  }
  return message;
}

/** libpg_query RawParseMode of a PL/pgSQL expression. */
const PARSE_MODE = { DEFAULT: 0, TYPE_NAME: 1, EXPR: 2, ASSIGN1: 3, ASSIGN2: 4, ASSIGN3: 5 } as const;

/** Parse an embedded PL/pgSQL query string as SQL, the way PL/pgSQL itself would. */
function parseEmbedded(query: string, mode: number): Node[] | undefined {
  let sql: string | undefined;
  if (mode === PARSE_MODE.DEFAULT) sql = query;
  else if (mode === PARSE_MODE.EXPR) sql = `SELECT ${query}`;
  else if (mode >= PARSE_MODE.ASSIGN1 && mode <= PARSE_MODE.ASSIGN3) {
    const m = /^[^:=]*?(?::=|=)([\s\S]*)$/.exec(query);
    sql = m ? `SELECT ${m[1]}` : `SELECT ${query}`;
  } else return [];
  const r = parseSql(sql);
  return r.ok ? r.statements.map((s) => s.tree) : undefined;
}

function collectExpressions(root: unknown): { query: string; mode: number }[] {
  const out: { query: string; mode: number }[] = [];
  const stack: unknown[] = [root];
  while (stack.length) {
    const cur = stack.pop();
    if (!cur || typeof cur !== 'object') continue;
    if (Array.isArray(cur)) {
      stack.push(...cur);
      continue;
    }
    const expr = (cur as { PLpgSQL_expr?: { query?: string; parseMode?: number } }).PLpgSQL_expr;
    if (expr?.query) out.push({ query: expr.query, mode: expr.parseMode ?? 0 });
    stack.push(...Object.values(cur));
  }
  return out;
}

/**
 * %TYPE in a routine's parameters or return type makes the PL/pgSQL parser give up ("Not implemented": it
 * would need the catalog). Types do not matter for reading the body, so retry with them spelled as text.
 */
function withoutPercentTypes(sql: string, body: string): string {
  const at = sql.indexOf(body);
  if (at < 0) return sql;
  const header = sql.slice(0, at).replace(/(?:"(?:[^"]|"")+"|[\w$]+)(?:\.(?:"(?:[^"]|"")+"|[\w$]+))*%(?:TYPE|ROWTYPE)\b/gi, 'text');
  return header + sql.slice(at);
}

function readPlpgsql(sql: string, body: string): RoutineBody {
  const base = { language: 'plpgsql', text: body, trees: [] as Node[], unparsed: [] as string[] };
  let parsed: unknown;
  try {
    parsed = parsePlPgSQLSync(sql);
  } catch (first) {
    try {
      parsed = parsePlPgSQLSync(withoutPercentTypes(sql, body));
    } catch {
      return { ...base, analysis: 'regex', note: `PL/pgSQL parser: ${(first as Error)?.message ?? String(first)}` };
    }
  }
  for (const { query, mode } of collectExpressions(parsed)) {
    const trees = parseEmbedded(query, mode);
    if (trees) base.trees.push(...trees);
    else base.unparsed.push(query);
  }
  return { ...base, analysis: 'plpgsql-parser' };
}

/** Languages whose bodies are not SQL and not worth a text pattern (compiled code). */
const OPAQUE_LANGUAGES = new Set(['c', 'internal']);

/**
 * How to read the body of a CREATE FUNCTION / CREATE PROCEDURE / DO statement, or undefined for other
 * statements. `sql` is the statement's text.
 */
export function readRoutineBody(tree: Node, sql: string): RoutineBody | undefined {
  const fn = as(tree, 'CreateFunctionStmt');
  const doStmt = as(tree, 'DoStmt');
  if (!fn && !doStmt) return undefined;
  const options = defElems(fn ? fn.options : doStmt?.args);
  const language = (options.get('language') ?? (fn ? 'sql' : 'plpgsql')).toLowerCase();
  const asOption = (fn ? fn.options : doStmt?.args)?.map((n) => as(n, 'DefElem')).find((d) => d?.defname === 'as');
  const list = as(asOption?.arg, 'List');
  const body = list ? strings(list.items)[0] ?? '' : (as(asOption?.arg, 'String')?.sval ?? '');

  if (fn?.sql_body) {
    // BEGIN ATOMIC / RETURN bodies are already part of the statement's tree.
    return { language, analysis: 'sql-parser', trees: [], text: '', unparsed: [] };
  }
  if (OPAQUE_LANGUAGES.has(language)) return { language, analysis: 'none', trees: [], text: body, unparsed: [] };
  if (language === 'plpgsql') return readPlpgsql(sql, body);
  if (language === 'sql') {
    const r = parseSql(body);
    return r.ok
      ? { language, analysis: 'sql-parser', trees: r.statements.map((s) => s.tree), text: body, unparsed: [] }
      : { language, analysis: 'regex', trees: [], text: body, unparsed: [], note: `SQL body: ${r.error}` };
  }
  // plpython, plperl, pltcl…: no parser; text patterns still find calls such as pg_advisory_lock().
  return { language, analysis: 'regex', trees: [], text: body, unparsed: [], note: `LANGUAGE ${language} is not parsed` };
}
