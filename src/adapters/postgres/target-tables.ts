/**
 * Checks and chores on the target tables before a snapshot import: do they exist with the exported
 * columns, of which types, are they empty, truncate them (--truncate-tables).
 */
import type pg from 'pg';
import { qualified } from './connection.js';
import { mapQueryError } from './errors.js';

export interface TargetTableSpec {
  schema: string;
  table: string;
  columns: readonly string[];
}

/** One line per missing table or column ([] when everything is there). */
export async function missingOnTarget(client: pg.Client, tables: readonly TargetTableSpec[]): Promise<string[]> {
  if (!tables.length) return [];
  let rows: { q: string; present: string; col: string | null }[];
  try {
    const r = await client.query<{ q: string; present: string; col: string | null }>(
      `SELECT r.q, (to_regclass(r.q) IS NOT NULL)::text AS present, a.attname AS col FROM unnest($1::text[]) AS r(q)
       LEFT JOIN pg_attribute a ON a.attrelid = to_regclass(r.q) AND a.attnum > 0 AND NOT a.attisdropped`,
      [tables.map((t) => qualified(t.schema, t.table))],
    );
    rows = r.rows;
  } catch (e) {
    throw mapQueryError(e, 'checking the target tables');
  }
  const problems: string[] = [];
  for (const t of tables) {
    const q = qualified(t.schema, t.table);
    const mine = rows.filter((r) => r.q === q);
    const cols = new Set(mine.filter((r) => r.col !== null).map((r) => r.col!));
    if (!mine.some((r) => r.present === 'true')) {
      problems.push(`table ${q} does not exist on the target`);
      continue;
    }
    const missing = t.columns.filter((c) => !cols.has(c));
    if (missing.length) problems.push(`table ${q} on the target lacks column(s) ${missing.join(', ')}`);
  }
  return problems;
}

/** The target's type of each named column (format_type, as the source catalog spells them); '' for a missing one. */
export async function columnTypes(client: pg.Client, tables: readonly TargetTableSpec[]): Promise<string[][]> {
  if (!tables.length) return [];
  try {
    const r = await client.query<{ i: string; col: string; type: string }>(
      `SELECT r.i, a.attname AS col, format_type(a.atttypid, a.atttypmod) AS type FROM unnest($1::text[]) WITH ORDINALITY AS r(q, i)
       JOIN pg_attribute a ON a.attrelid = to_regclass(r.q) AND a.attnum > 0 AND NOT a.attisdropped`,
      [tables.map((t) => qualified(t.schema, t.table))],
    );
    return tables.map((t, k) => {
      const mine = new Map(r.rows.filter((x) => Number(x.i) === k + 1).map((x) => [x.col, x.type]));
      return t.columns.map((c) => mine.get(c) ?? '');
    });
  } catch (e) {
    throw mapQueryError(e, 'reading the target column types');
  }
}

/** Tables among these that hold at least one row. */
export async function nonEmptyTables<T extends { schema: string; table: string }>(client: pg.Client, tables: readonly T[]): Promise<T[]> {
  const out: T[] = [];
  for (const t of tables) {
    try {
      const r = await client.query(`SELECT 1 FROM ${qualified(t.schema, t.table)} LIMIT 1`);
      if (r.rows.length) out.push(t);
    } catch (e) {
      throw mapQueryError(e, `reading ${qualified(t.schema, t.table)} on the target`);
    }
  }
  return out;
}

/** One TRUNCATE for all of them, so foreign keys among them do not get in the way. */
export async function truncateTables(client: pg.Client, tables: readonly { schema: string; table: string }[]): Promise<void> {
  if (!tables.length) return;
  try {
    await client.query(`TRUNCATE ${tables.map((t) => qualified(t.schema, t.table)).join(', ')}`);
  } catch (e) {
    throw mapQueryError(e, 'truncating the target tables (a table outside the import may reference them; truncate it too, by hand)');
  }
}
