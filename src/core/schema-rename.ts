/**
 * Moving exported DDL from one schema to another (import schema --target-db-schema): rewrite every
 * reference to the source schema, and nothing else.
 *
 * export schema qualifies every name (it reads the catalog with an empty search_path, as pg_dump does),
 * so a reference is: the schema as an identifier followed by `.` (`public.t`, `"public"."T"`); the name
 * after the keyword SCHEMA (`CREATE SCHEMA x`, `WITH SCHEMA x`, `COMMENT ON SCHEMA x`); a qualified name
 * inside a literal cast to a reg* type (`nextval('public.s'::regclass)`); and a schema listed in a
 * routine's `SET search_path TO 'public', …`. Bodies of functions (dollar-quoted or string) are code
 * the server does not resolve until run time: they are left as written.
 */
import { identValue, isTrivia, quoteIdentIfNeeded, stringValue, tokenize, type Token } from './sql-lexer.js';

const REG_TYPES = new Set(['regclass', 'regtype', 'regproc', 'regprocedure', 'regoper', 'regoperator', 'regconfig', 'regdictionary', 'regcollation']);

export function renameSchema(sql: string, from: string, to: string): string {
  if (from === to) return sql;
  const tokens = tokenize(sql);
  const toIdent = quoteIdentIfNeeded(to);
  const significant = (k: number, step: 1 | -1): Token | undefined => {
    for (let j = k + step; j >= 0 && j < tokens.length; j += step) if (!isTrivia(tokens[j])) return tokens[j];
    return undefined;
  };
  const nextIndex = (k: number): number => {
    let j = k + 1;
    while (j < tokens.length && isTrivia(tokens[j])) j++;
    return j;
  };
  // `SCHEMA x`, `SCHEMA IF NOT EXISTS x`
  const afterSchemaKeyword = (k: number): boolean => {
    let j = k;
    for (;;) {
      let p = j - 1;
      while (p >= 0 && isTrivia(tokens[p])) p--;
      if (p < 0 || tokens[p].kind !== 'word') return false;
      const w = tokens[p].text.toUpperCase();
      if (w === 'SCHEMA') return true;
      if (w !== 'IF' && w !== 'NOT' && w !== 'EXISTS') return false;
      j = p;
    }
  };
  let inSearchPath = false;
  let out = '';
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    let text = t.text;
    if ((t.kind === 'word' || t.kind === 'qident') && identValue(t) === from) {
      const next = tokens[k + 1];
      if ((next && next.kind === 'punct' && next.text === '.') || afterSchemaKeyword(k)) text = toIdent;
    } else if (t.kind === 'string') {
      const value = stringValue(t)!;
      const j = nextIndex(k);
      const castTo = tokens[j]?.text === '::' ? tokens[nextIndex(j)] : undefined;
      if (castTo && castTo.kind === 'word' && REG_TYPES.has(castTo.text.toLowerCase())) {
        const renamed = renameQualifiedName(value, from, to);
        if (renamed !== value) text = quoteLiteral(renamed);
      } else if (castTo && castTo.kind === 'word' && castTo.text.toLowerCase() === 'regnamespace' && value === quoteIdentIfNeeded(from)) {
        text = quoteLiteral(toIdent);
      } else if (inSearchPath && value === from) {
        text = quoteLiteral(to);
      }
    }
    // `SET search_path TO 'a', 'b'` (or `= a, b`): the list runs to the next keyword that is not part of it.
    if (t.kind === 'word' && t.text.toLowerCase() === 'search_path' && significant(k, -1)?.text.toUpperCase() === 'SET') inSearchPath = true;
    else if (inSearchPath && !isTrivia(t) && t.kind !== 'string' && !(t.kind === 'punct' && t.text === ',') && !['TO', '='].includes(t.text.toUpperCase()) && !(t.kind === 'word' && identValue(t) === from)) {
      inSearchPath = false;
    }
    if (inSearchPath && t.kind === 'word' && identValue(t) === from && text === t.text) text = toIdent;
    out += text;
  }
  return out;
}

/** `public.t` / `"public"."T"` → `to.t` / `to."T"`; anything else unchanged. */
function renameQualifiedName(value: string, from: string, to: string): string {
  const tokens = tokenize(value);
  const first = tokens[0];
  if (first && (first.kind === 'word' || first.kind === 'qident') && identValue(first) === from && tokens[1]?.text === '.') {
    return quoteIdentIfNeeded(to) + value.slice(first.text.length);
  }
  return value;
}

function quoteLiteral(value: string): string {
  return "'" + value.replace(/'/g, "''") + "'";
}
