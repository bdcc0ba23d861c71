/**
 * MySQL expressions and view queries rewritten as PostgreSQL, when that is safe. The rewrite is
 * token by token over a whitelist: identifiers are renamed the way every MySQL name is (names.ts), string
 * literals re-quoted, and only keywords, operators and functions that mean the same on both servers pass.
 * Anything else (`/` — decimal division on MySQL, integer division on PostgreSQL —, `||` — OR on MySQL —,
 * functions whose NULL handling differs, user variables, bare words…) makes the rewrite fail with the reason, so
 * the caller keeps the MySQL text and reports it instead of guessing.
 */
import { quoteIdentIfNeeded } from '../../core/sql-lexer.js';
import { quoteLiteral } from '../../core/sql-names.js';
import { pgName, TARGET_SCHEMA } from './names.js';

export type Translation = { ok: true; sql: string } | { ok: false; reason: string };

interface MyToken {
  kind: 'ident' | 'word' | 'string' | 'number' | 'hex' | 'bits' | 'op' | 'space' | 'comment';
  text: string;
  /** Decoded value of strings and quoted identifiers. */
  value?: string;
}

/** Keywords with the same meaning on both servers (upper case). */
const KEYWORDS = new Set(
  ('AND OR NOT IS NULL TRUE FALSE IN BETWEEN LIKE CASE WHEN THEN ELSE END AS SELECT FROM WHERE JOIN INNER LEFT RIGHT ' +
    'OUTER CROSS ON GROUP BY ORDER HAVING ASC DESC DISTINCT UNION ALL LIMIT OFFSET EXISTS USING ANY SOME ' +
    'CURRENT_DATE').split(' '),
);

/** MySQL functions allowed, and their PostgreSQL names (same semantics, immutable where it matters). */
const FUNCTIONS: Record<string, string> = {
  abs: 'abs', ceil: 'ceil', ceiling: 'ceiling', floor: 'floor', round: 'round', sign: 'sign',
  lower: 'lower', lcase: 'lower', upper: 'upper', ucase: 'upper', char_length: 'char_length',
  character_length: 'character_length', length: 'octet_length', octet_length: 'octet_length',
  trim: 'trim', ltrim: 'ltrim', rtrim: 'rtrim', coalesce: 'coalesce', ifnull: 'coalesce', nullif: 'nullif',
  greatest: 'greatest', least: 'least', count: 'count', sum: 'sum', avg: 'avg', min: 'min', max: 'max',
};

const OPERATORS = new Set(['=', '<>', '!=', '<', '>', '<=', '>=', '+', '-', '*', '%', '(', ')', ',', '.']);

export function tokenizeMySql(sql: string): MyToken[] {
  const out: MyToken[] = [];
  const push = (t: MyToken) => {
    out.push(t);
    return t.text.length;
  };
  for (let i = 0; i < sql.length; ) {
    const c = sql[i];
    const rest = sql.slice(i);
    let m: RegExpExecArray | null;
    if ((m = /^\s+/.exec(rest))) i += push({ kind: 'space', text: m[0] });
    else if ((m = /^(\/\*[\s\S]*?\*\/|(--\s|#)[^\n]*)/.exec(rest))) i += push({ kind: 'comment', text: m[0] });
    else if (c === '`') {
      const end = /^`(?:[^`]|``)*`?/.exec(rest)![0];
      i += push({ kind: 'ident', text: end, value: end.replace(/^`|`$/g, '').replace(/``/g, '`') });
    } else if (c === "'" || c === '"') i += push({ kind: 'string', ...readMyString(sql, i) });
    else if ((m = /^[xX]'([0-9a-fA-F]*)'/.exec(rest)) || (m = /^0x([0-9a-fA-F]+)/.exec(rest))) i += push({ kind: 'hex', text: m[0], value: m[1].toLowerCase() });
    else if ((m = /^[bB]'([01]*)'/.exec(rest)) || (m = /^0b([01]+)/.exec(rest))) i += push({ kind: 'bits', text: m[0], value: m[1] });
    else if ((m = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(rest))) i += push({ kind: 'number', text: m[0] });
    else if ((m = /^[A-Za-z_$\u0080-\uffff][\w$\u0080-\uffff]*/.exec(rest))) i += push({ kind: 'word', text: m[0] });
    else i += push({ kind: 'op', text: /^(<=>|<=|>=|<>|!=|\|\||&&|:=|->>|->|<<|>>|.)/s.exec(rest)![0] });
  }
  return out;
}

/** A '…' or "…" MySQL string at `start`: doubled quotes and backslash escapes decoded. */
function readMyString(sql: string, start: number): { text: string; value: string } {
  const q = sql[start];
  const ESC: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', b: '\b', Z: '\x1a', '%': '\\%', _: '\\_' };
  let v = '';
  let j = start + 1;
  while (j < sql.length) {
    const ch = sql[j];
    if (ch === '\\' && j + 1 < sql.length) {
      v += ESC[sql[j + 1]] ?? sql[j + 1];
      j += 2;
    } else if (ch === q) {
      if (sql[j + 1] === q) {
        v += q;
        j += 2;
      } else break;
    } else {
      v += ch;
      j++;
    }
  }
  return { text: sql.slice(start, j + 1), value: v };
}

/** The value of a MySQL string literal ('…' with MySQL's escapes). */
export function myStringValue(literal: string): string | undefined {
  const t = tokenizeMySql(literal.trim());
  return t.length === 1 && t[0].kind === 'string' ? t[0].value : undefined;
}

export interface TranslateOptions {
  /** The MySQL database: `db.` qualifiers become the target schema. */
  database?: string;
}

/** One MySQL expression or query as PostgreSQL, or why not. */
export function translateMySql(sql: string, o: TranslateOptions = {}): Translation {
  const tokens = tokenizeMySql(sql).filter((t) => t.kind !== 'comment');
  const out: string[] = [];
  const next = (k: number) => {
    for (let j = k + 1; j < tokens.length; j++) if (tokens[j].kind !== 'space') return tokens[j];
    return undefined;
  };
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    switch (t.kind) {
      case 'space':
        out.push(' ');
        break;
      case 'ident': {
        const qualifier = next(k)?.text === '.';
        out.push(qualifier && o.database !== undefined && t.value === o.database ? TARGET_SCHEMA : quoteIdentIfNeeded(pgName(t.value!)));
        break;
      }
      case 'string':
        out.push(quoteLiteral(t.value!));
        break;
      case 'number':
        out.push(t.text);
        break;
      case 'hex':
        out.push(`'\\x${t.value}'::bytea`);
        break;
      case 'bits':
        out.push(`B'${t.value}'`);
        break;
      case 'op':
        if (!OPERATORS.has(t.text)) return { ok: false, reason: `the operator ${t.text} means something else on PostgreSQL` };
        out.push(t.text === '!=' ? '<>' : t.text);
        break;
      case 'word': {
        const w = t.text.toUpperCase();
        const after = next(k);
        if (/^_[a-z0-9]+$/i.test(t.text) && after?.kind === 'string') break; // charset introducer (_utf8mb4'x')
        if (after?.text === '(') {
          const fn = FUNCTIONS[t.text.toLowerCase()];
          if (!fn) return { ok: false, reason: `the function ${t.text}() has no equivalent checked on PostgreSQL` };
          out.push(fn);
        } else if (KEYWORDS.has(w)) out.push(w);
        // The server writes every identifier of a view, CHECK or generated column in backquotes: a bare word
        // is syntax (CURRENT_TIMESTAMP, INTERVAL, DIV…) that the lists above do not vouch for.
        else return { ok: false, reason: `${t.text} is MySQL syntax without a checked PostgreSQL equivalent` };
        break;
      }
    }
  }
  return { ok: true, sql: out.join('').replace(/ {2,}/g, ' ').trim() };
}
