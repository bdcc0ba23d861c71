/**
 * A small PostgreSQL lexer: enough to split files into statements, find the `-- TYPE: name` header of
 * each, and rewrite schema names without touching string literals, dollar-quoted bodies or comments.
 * It does not parse: analyze-schema uses the real parser for that.
 *
 * Knows: '…' strings ('' escapes), E'…' strings (backslash escapes), "…" identifiers ("" escapes),
 * $tag$…$tag$ bodies, $1 parameters, -- comments and nested /* *\/ comments.
 */

export type TokenKind =
  | 'space'
  | 'comment'
  | 'string' // '…' or E'…' (prefix letters B/X/N/U& lex as a word before the string)
  | 'dollar' // $tag$…$tag$
  | 'qident' // "…"
  | 'word' // keyword or unquoted identifier
  | 'number'
  | 'param' // $1
  | 'punct' // ( ) [ ] , ; . ::
  | 'op';

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  /** Offset of the first character in the input. */
  readonly start: number;
  /** 1-based line of the first character. */
  readonly line: number;
}

const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  const n = sql.length;
  let i = 0;
  let line = 1;
  const push = (kind: TokenKind, end: number) => {
    const text = sql.slice(i, end);
    tokens.push({ kind, text, start: i, line });
    for (let k = 0; k < text.length; k++) if (text.charCodeAt(k) === 10) line++;
    i = end;
  };
  // End offset of a quoted run starting at `from` (the opening quote), with doubled-quote escapes
  // and, for E'' strings, backslash escapes. An unterminated run ends at the input's end.
  const quoted = (from: number, quote: string, backslash: boolean): number => {
    let j = from + 1;
    while (j < n) {
      const c = sql[j];
      if (backslash && c === '\\') {
        j += 2;
        continue;
      }
      if (c === quote) {
        if (sql[j + 1] === quote) {
          j += 2;
          continue;
        }
        return j + 1;
      }
      j++;
    }
    return n;
  };

  while (i < n) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
      let j = i + 1;
      while (j < n && /[ \t\n\r\f]/.test(sql[j])) j++;
      push('space', j);
    } else if (c === '-' && next === '-') {
      let j = i + 2;
      while (j < n && sql[j] !== '\n') j++;
      push('comment', j);
    } else if (c === '/' && next === '*') {
      let depth = 0;
      let j = i;
      while (j < n) {
        if (sql[j] === '/' && sql[j + 1] === '*') {
          depth++;
          j += 2;
        } else if (sql[j] === '*' && sql[j + 1] === '/') {
          depth--;
          j += 2;
          if (depth === 0) break;
        } else j++;
      }
      push('comment', j);
    } else if ((c === 'E' || c === 'e') && next === "'") {
      push('string', quoted(i + 1, "'", true));
    } else if (c === "'") {
      push('string', quoted(i, "'", false));
    } else if (c === '"') {
      push('qident', quoted(i, '"', false));
    } else if (c === '$') {
      const m = DOLLAR_TAG.exec(sql.slice(i, i + 80));
      if (m) {
        const close = sql.indexOf(m[0], i + m[0].length);
        push('dollar', close < 0 ? n : close + m[0].length);
      } else if (next !== undefined && next >= '0' && next <= '9') {
        let j = i + 1;
        while (j < n && sql[j] >= '0' && sql[j] <= '9') j++;
        push('param', j);
      } else push('op', i + 1);
    } else if (IDENT_START.test(c)) {
      let j = i + 1;
      while (j < n && IDENT_CHAR.test(sql[j])) j++;
      push('word', j);
    } else if (c >= '0' && c <= '9') {
      let j = i + 1;
      while (j < n && /[0-9A-Za-z_.]/.test(sql[j]) && !(sql[j] === '.' && sql[j + 1] === '.')) j++;
      push('number', j);
    } else if (c === ':' && next === ':') {
      push('punct', i + 2);
    } else if ('()[],;.'.includes(c)) {
      push('punct', i + 1);
    } else {
      push('op', i + 1);
    }
  }
  return tokens;
}

/** The identifier a word or "quoted" token names, as PostgreSQL folds it (unquoted → lower case). */
export function identValue(t: Token): string | undefined {
  if (t.kind === 'word') return t.text.toLowerCase();
  if (t.kind === 'qident') return t.text.slice(1, -1).replace(/""/g, '"');
  return undefined;
}

/** The value of a '…' or E'…' string token (E'' escapes beyond \\ and \' are kept as written). */
export function stringValue(t: Token): string | undefined {
  if (t.kind !== 'string') return undefined;
  if (t.text[0] === "'") return t.text.slice(1, -1).replace(/''/g, "'");
  return t.text.slice(2, -1).replace(/''/g, "'").replace(/\\(['\\])/g, '$1');
}

export const isTrivia = (t: Token) => t.kind === 'space' || t.kind === 'comment';

/** Quote an identifier only when PostgreSQL needs it (as quote_ident does, keywords aside: we always quote those). */
export function quoteIdentIfNeeded(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) && !ALWAYS_QUOTE.has(name) ? name : '"' + name.replace(/"/g, '""') + '"';
}

// Reserved words that cannot be used as bare identifiers (a superset is harmless: they just get quotes).
const ALWAYS_QUOTE = new Set(
  ('all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate collation ' +
    'column concurrently constraint create cross current_catalog current_date current_role current_schema current_time ' +
    'current_timestamp current_user default deferrable desc distinct do else end except false fetch for foreign freeze ' +
    'from full grant group having ilike in initially inner intersect into is isnull join lateral leading left like limit ' +
    'localtime localtimestamp natural not notnull null offset on only or order outer overlaps placing primary references ' +
    'returning right select session_user similar some symmetric system_user table tablesample then to trailing true union ' +
    'unique user using variadic verbose when where window with').split(' '),
);
