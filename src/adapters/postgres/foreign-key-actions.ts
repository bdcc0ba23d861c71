/**
 * Foreign-key actions done by the sink itself, for streams that lack their rows. MySQL's InnoDB performs
 * ON DELETE CASCADE / SET NULL / SET DEFAULT inside the storage engine, so the binlog carries the parent's
 * delete but not what it did to the children. Our apply sessions run with session_replication_role = replica,
 * where PostgreSQL's own FK triggers do not fire either, so without this the children would stay on the target.
 *
 * Before a parent row is deleted, each action is done for the rows referencing it, deepest level first (a
 * child's own children are handled before the child rows go, since their statements find them through it).
 * ON UPDATE actions are not emulated (see docs/mysql.md): key updates of referenced rows are rare in MySQL
 * schemas and are reported by analyze-schema.
 */
import type pg from 'pg';
import { qualified, quoteIdent } from './connection.js';
import { mapQueryError } from './errors.js';

export interface ForeignKeyAction {
  /** The referencing table, qualified. */
  child: string;
  childCols: string[];
  parentCols: string[];
  /** pg_constraint.confdeltype: c(ascade), n(ull), d(efault). */
  action: 'c' | 'n' | 'd';
}

/** Nesting deeper than this (a long or self-referencing chain) is refused rather than half-done. */
export const MAX_CASCADE_DEPTH = 16;

/** The ON DELETE actions of foreign keys that reference `table` (qualified). */
export async function loadDeleteActions(client: pg.Client, table: string): Promise<ForeignKeyAction[]> {
  try {
    const r = await client.query<{ nsp: string; rel: string; child_cols: string; parent_cols: string; action: 'c' | 'n' | 'd' }>(
      `SELECT n.nspname AS nsp, c.relname AS rel, k.confdeltype AS action,
              (SELECT json_agg(a.attname ORDER BY u.i) FROM unnest(k.conkey) WITH ORDINALITY u(n, i) JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n)::text AS child_cols,
              (SELECT json_agg(a.attname ORDER BY u.i) FROM unnest(k.confkey) WITH ORDINALITY u(n, i) JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n)::text AS parent_cols
         FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE k.contype = 'f' AND k.confrelid = $1::regclass AND k.confdeltype IN ('c', 'n', 'd') AND k.conparentid = 0
        ORDER BY k.conname`,
      [table],
    );
    return r.rows.map((x) => ({ child: qualified(x.nsp, x.rel), childCols: JSON.parse(x.child_cols), parentCols: JSON.parse(x.parent_cols), action: x.action }));
  } catch (e) {
    throw mapQueryError(e, `reading the foreign keys that reference ${table}`);
  }
}

const tuple = (alias: string, cols: readonly string[]) => `(${cols.map((c) => `${alias}.${quoteIdent(c)}`).join(', ')})`;

/**
 * Statements (deepest first) doing the delete actions for the rows of `table` that `rowsSql` selects
 * (a SELECT of whole rows of that table). `actionsOf` gives each table's actions (cached by the caller).
 */
export async function deleteActionStatements(
  table: string,
  rowsSql: string,
  actionsOf: (table: string) => Promise<ForeignKeyAction[]>,
  depth = 0,
): Promise<string[]> {
  const out: string[] = [];
  for (const a of await actionsOf(table)) {
    if (depth >= MAX_CASCADE_DEPTH) {
      throw new Error(`ON DELETE actions reach more than ${MAX_CASCADE_DEPTH} levels deep from ${table} (a self-referencing chain?)`);
    }
    const match = `${tuple('x', a.childCols)} IN (SELECT ${a.parentCols.map((c) => `p.${quoteIdent(c)}`).join(', ')} FROM (${rowsSql}) AS p)`;
    if (a.action === 'c') {
      out.push(...(await deleteActionStatements(a.child, `SELECT x.* FROM ${a.child} AS x WHERE ${match}`, actionsOf, depth + 1)));
      out.push(`DELETE FROM ${a.child} AS x WHERE ${match}`);
    } else {
      const value = a.action === 'n' ? 'NULL' : 'DEFAULT';
      out.push(`UPDATE ${a.child} AS x SET ${a.childCols.map((c) => `${quoteIdent(c)} = ${value}`).join(', ')} WHERE ${match}`);
    }
  }
  return out;
}
