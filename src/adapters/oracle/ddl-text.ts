/**
 * Names and expression text from Oracle's dictionary, turned into PostgreSQL: unquoted Oracle names are
 * stored upper case and become lower case (PostgreSQL folds unquoted names to lower case, so `EMPLOYEES`
 * and `employees` then mean the same table on both sides); any other name keeps its exact spelling, quoted.
 * Pure.
 */
import { quoteIdentIfNeeded } from '../../core/sql-lexer.js';

const FOLDED = /^[A-Z][A-Z0-9_$#]*$/;

/** The PostgreSQL name of an Oracle object or column (unquoted). */
export function pgName(oracleName: string): string {
  return FOLDED.test(oracleName) ? oracleName.toLowerCase() : oracleName;
}

/** The PostgreSQL name, quoted where needed. */
export function pgIdent(oracleName: string): string {
  return quoteIdentIfNeeded(pgName(oracleName));
}

export function pgQualified(owner: string, name: string): string {
  return `${pgIdent(owner)}.${pgIdent(name)}`;
}

/**
 * An Oracle expression (check condition, virtual column, index expression, view query) with its quoted
 * upper-case names lower-cased, so `"STATUS" IN ('A')` names the column `status`. String literals are left
 * alone.
 */
export function pgExpression(expr: string): string {
  let out = '';
  let i = 0;
  while (i < expr.length) {
    const ch = expr[i];
    if (ch === "'") {
      const end = expr.indexOf("'", i + 1);
      const stop = end < 0 ? expr.length : end + 1;
      out += expr.slice(i, stop);
      i = stop;
      // '' inside a literal: the next quote opens the continuation, handled by the loop.
    } else if (ch === '"') {
      const end = expr.indexOf('"', i + 1);
      const stop = end < 0 ? expr.length : end + 1;
      const name = expr.slice(i + 1, stop - 1);
      out += FOLDED.test(name) ? quoteIdentIfNeeded(name.toLowerCase()) : expr.slice(i, stop);
      i = stop;
    } else {
      out += ch;
      i++;
    }
  }
  return out.trim();
}

/** Oracle-only SQL a PostgreSQL server would reject or read differently, by pattern (for notes, not conversion). */
const ORACLE_ISMS: readonly [RegExp, string][] = [
  [/\bNVL2?\s*\(/i, 'NVL'],
  [/\bDECODE\s*\(/i, 'DECODE'],
  [/\(\+\)/, '(+) outer join'],
  [/\bROWNUM\b/i, 'ROWNUM'],
  [/\bROWID\b/i, 'ROWID'],
  [/\bSYSDATE\b/i, 'SYSDATE'],
  [/\bSYSTIMESTAMP\b/i, 'SYSTIMESTAMP'],
  [/\bCONNECT\s+BY\b/i, 'CONNECT BY'],
  [/\bFROM\s+DUAL\b/i, 'FROM DUAL'],
  [/\bMINUS\b/i, 'MINUS'],
  [/\bTO_DATE\s*\(/i, 'TO_DATE'],
  [/\bTO_NUMBER\s*\(/i, 'TO_NUMBER'],
  [/\bREGEXP_LIKE\s*\(/i, 'REGEXP_LIKE'],
  [/\bLISTAGG\s*\(/i, 'LISTAGG'],
  [/\.NEXTVAL\b/i, 'sequence.NEXTVAL'],
  [/\bSYS_GUID\s*\(/i, 'SYS_GUID'],
  [/\bSUBSTR\s*\(/i, 'SUBSTR'],
  [/\bINSTR\s*\(/i, 'INSTR'],
];

/** The Oracle-only constructs found in `sql` (names for a note), empty when none. */
export function oracleIsms(sql: string): string[] {
  return ORACLE_ISMS.filter(([re]) => re.test(sql)).map(([, name]) => name);
}

/** A column default: literals and the common functions convert; anything else is left to a person. */
export function pgDefault(expr: string, owner: string): { sql?: string; note?: string } {
  const e = expr.trim();
  if (/^null$/i.test(e)) return {};
  if (/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(e) || /^'([^']|'')*'$/.test(e)) return { sql: e };
  if (/^SYSDATE$/i.test(e)) return { sql: 'LOCALTIMESTAMP(0)' };
  if (/^(SYSTIMESTAMP|CURRENT_TIMESTAMP)(\(\d\))?$/i.test(e)) return { sql: 'CURRENT_TIMESTAMP' };
  if (/^(LOCALTIMESTAMP|CURRENT_DATE)$/i.test(e)) return { sql: e.toUpperCase() === 'CURRENT_DATE' ? 'LOCALTIMESTAMP(0)' : 'LOCALTIMESTAMP' };
  if (/^SYS_GUID\(\)$/i.test(e)) return { sql: 'gen_random_uuid()' };
  if (/^USER$/i.test(e)) return { sql: 'CURRENT_USER' };
  const seq = /^(?:"?([A-Za-z][\w$#]*)"?\.)?"?([A-Za-z][\w$#]*)"?\."?NEXTVAL"?$/i.exec(e);
  if (seq) return { sql: `nextval('${pgQualified(seq[1] ?? owner, seq[2]).replace(/'/g, "''")}')` };
  return { note: `the default ${e} is Oracle SQL and was left out: add its PostgreSQL equivalent by hand` };
}
