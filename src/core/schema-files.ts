/**
 * The exported schema's file format, written by export schema and read by import schema (and by people,
 * who edit these files between the two). One file per object type, `schema/<dir>/<dir>.sql`; each
 * statement is preceded by a header comment naming the object, and ends with `;` and a newline:
 *
 *     -- TABLE: public.actor
 *     CREATE TABLE public.actor (…);
 *
 * Headers are for people and messages only: import schema classifies statements by their text, so an
 * edited file without headers still imports in the right order.
 */
import { isTrivia, tokenize, type Token } from './sql-lexer.js';

/** Directory names under schema/, in the order export schema writes them. */
export const SCHEMA_DIRS = [
  'extensions',
  'schemas',
  'types',
  'sequences',
  'functions',
  'tables',
  'partitions',
  'fkeys',
  'indexes',
  'views',
  'mviews',
  'procedures',
  'triggers',
  'rules',
  'policies',
  'comments',
  'uncategorized',
] as const;
export type SchemaDir = (typeof SCHEMA_DIRS)[number];

/** One statement as export schema writes it. `sql` has no trailing semicolon. */
export interface DdlStatement {
  /** Upper-case object type for the header: TABLE, INDEX, FUNCTION, COMMENT… */
  readonly objectType: string;
  /** Qualified, quoted-where-needed name (functions with their argument types). */
  readonly name: string;
  readonly sql: string;
  /**
   * Problems found while converting the object from another database, written above the statement as
   * `-- yb-voyager finding …` lines that analyze-schema reports (core/schema-analysis/source-findings.ts).
   */
  readonly findings?: readonly SourceFinding[];
  /** The object could not be converted: `sql` is its source text, written as comment lines only. */
  readonly commentedOut?: boolean;
}

/** A conversion problem with one object, and what to do about it. */
export interface SourceFinding {
  /** UPPER_SNAKE id of a source-findings rule. */
  readonly ruleId: string;
  /** As analyze-schema names objects: TABLE, INDEX, VIEW… */
  readonly objectType: string;
  /** As analyze-schema names objects: public.orders, idx ON public.orders. */
  readonly objectName: string;
  /** What is wrong, naming the object and the fix. */
  readonly reason: string;
}

/** Start of a finding line; the rest is `RULE_ID | OBJECT TYPE | object name | reason`. */
export const FINDING_PREFIX = '-- yb-voyager finding ';
/** Start of each line of an object's source text that was not converted. */
export const NOT_CONVERTED_PREFIX = '-- | ';

export function renderFinding(f: SourceFinding): string {
  const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ');
  return `${FINDING_PREFIX}${f.ruleId} | ${f.objectType} | ${oneLine(f.objectName)} | ${oneLine(f.reason)}`;
}

/** One statement read back from a file. */
export interface ParsedStatement {
  /** From the first token to the terminating semicolon, which is left out. */
  readonly sql: string;
  /** 1-based line of the statement's first token. */
  readonly line: number;
  readonly header?: { readonly objectType: string; readonly name: string };
}

const HEADER = /^-- ([A-Z][A-Z ]*[A-Z]): (.+?)\s*$/;

export function renderStatement(s: DdlStatement): string {
  const findings = (s.findings ?? []).map((f) => `${renderFinding(f)}\n`).join('');
  if (s.commentedOut) {
    // No header: a header line names the next statement, and there is none here.
    const body = s.sql.replace(/\s+$/, '').split('\n').map((l) => `${NOT_CONVERTED_PREFIX}${l}`.trimEnd());
    return `-- ${s.objectType} not converted (${s.name}):\n${findings}${body.join('\n')}\n\n`;
  }
  return `-- ${s.objectType}: ${s.name}\n${findings}${s.sql.replace(/\s*;?\s*$/, '')};\n\n`;
}

export function renderSchemaFile(preamble: string, statements: readonly DdlStatement[]): string {
  const lines = preamble
    .split('\n')
    .map((l) => `-- ${l}`.trimEnd())
    .join('\n');
  return `${lines}\n\n${statements.map(renderStatement).join('')}`;
}

/**
 * Split a file into statements the way psql does: semicolons end statements except inside quotes,
 * comments, dollar-quoted bodies and the BEGIN ATOMIC … END body of a SQL-standard function.
 */
export function parseSchemaFile(text: string): ParsedStatement[] {
  const out: ParsedStatement[] = [];
  let header: ParsedStatement['header'];
  let current: Token[] = [];
  let words: string[] = [];
  let depth = 0;

  const finish = () => {
    while (current.length && isTrivia(current[current.length - 1])) current.pop();
    if (current.length) {
      const first = current[0];
      const last = current[current.length - 1];
      out.push({ sql: text.slice(first.start, last.start + last.text.length), line: first.line, header });
    }
    current = [];
    words = [];
    depth = 0;
    header = undefined;
  };
  const isRoutine = () => {
    const w = words[0] === 'CREATE' ? (words[1] === 'OR' ? words[3] : words[1]) : undefined;
    return w === 'FUNCTION' || w === 'PROCEDURE';
  };

  const tokens = tokenize(text);
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    if (current.length === 0) {
      if (t.kind === 'space') continue;
      if (t.kind === 'comment') {
        const m = HEADER.exec(t.text);
        if (m) header = { objectType: m[1], name: m[2] };
        continue;
      }
    }
    if (t.kind === 'punct' && t.text === ';' && depth === 0) {
      finish();
      continue;
    }
    current.push(t);
    if (t.kind === 'word') {
      const w = t.text.toUpperCase();
      if (words.length < 6) words.push(w);
      if (isRoutine()) {
        if (w === 'BEGIN' && nextWord(tokens, k) === 'ATOMIC') depth++;
        else if (depth > 0 && (w === 'BEGIN' || w === 'CASE')) depth++;
        else if (depth > 0 && w === 'END') depth--;
      }
    }
  }
  finish();
  return out;
}

function nextWord(tokens: readonly Token[], k: number): string | undefined {
  for (let j = k + 1; j < tokens.length; j++) {
    if (isTrivia(tokens[j])) continue;
    return tokens[j].kind === 'word' ? tokens[j].text.toUpperCase() : undefined;
  }
  return undefined;
}

/** Leading keywords of a statement, upper-cased, comments skipped (quoted identifiers appear as '"'). */
export function leadingWords(sql: string, max = 8): string[] {
  const out: string[] = [];
  for (const t of tokenize(sql)) {
    if (isTrivia(t)) continue;
    if (t.kind === 'word') out.push(t.text.toUpperCase());
    else if (t.kind === 'qident') out.push('"');
    else out.push(t.text);
    if (out.length >= max) break;
  }
  return out;
}

/** First line of a statement, for messages. */
export function firstLine(sql: string, max = 100): string {
  const l = sql.split('\n')[0].trim();
  return l.length > max ? l.slice(0, max - 1) + '…' : l;
}
