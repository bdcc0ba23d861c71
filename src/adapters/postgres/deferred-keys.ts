/**
 * Primary keys built after a table's snapshot is loaded instead of maintained row by row during the COPY, as
 * pg_restore does: measured on this project's 2-core machine, 3 M rows with a bigint key loaded in 10.5 s with the
 * key, 7.4 s without it and 1.6 s to build it afterwards; 750 k rows with a uuid key (random order) 3.1 s against
 * 1.0 + 0.6 s.
 *
 * Only where dropping and re-adding the key changes nothing else: a plain table (not partitioned, not a partition,
 * no inheritance) that the user owns (a loader with INSERT alone still loads, with the key), whose key no other
 * object depends on (a foreign key, a view grouping by it) and which is not its replica identity index. Never on
 * YugabyteDB: its tables are stored in primary-key order, so adding a key later rewrites the table.
 */
import type pg from 'pg';
import type { DeferredKey, TableRef } from '../engine.js';
import { DbError } from '../../infra/errors.js';
import { qualified, quoteIdent } from './connection.js';
import { mapQueryError } from './errors.js';

export async function deferrableKeys(client: pg.Client, tables: readonly TableRef[]): Promise<DeferredKey[]> {
  if (!tables.length) return [];
  try {
    const yb = await client.query<{ yb: string }>(`SELECT (version() LIKE '%-YB-%')::text AS yb`);
    if (yb.rows[0]?.yb === 'true') return [];
    const r = await client.query<{ i: string; name: string; definition: string }>(
      `SELECT r.i, con.conname AS name, pg_get_constraintdef(con.oid) AS definition
         FROM unnest($1::text[]) WITH ORDINALITY AS r(q, i)
         JOIN pg_class c ON c.oid = to_regclass(r.q)
         JOIN pg_constraint con ON con.conrelid = c.oid AND con.contype = 'p'
        WHERE c.relkind = 'r' AND NOT c.relispartition AND NOT c.relhassubclass AND c.relreplident <> 'i'
          AND pg_has_role(c.relowner, 'MEMBER')
          AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = c.oid)
          AND NOT EXISTS (SELECT 1 FROM pg_depend d
                           WHERE ((d.refclassid = 'pg_constraint'::regclass AND d.refobjid = con.oid)
                               OR (d.refclassid = 'pg_class'::regclass AND d.refobjid = con.conindid))
                             AND d.deptype = 'n')`,
      [tables.map((t) => qualified(t.schema, t.table))],
    );
    return r.rows.map((row) => ({ ...tables[Number(row.i) - 1], name: row.name, definition: row.definition }));
  } catch (e) {
    throw mapQueryError(e, 'reading the primary keys of the target tables');
  }
}

export async function dropKey(client: pg.Client, k: DeferredKey): Promise<void> {
  try {
    await client.query(`ALTER TABLE ${qualified(k.schema, k.table)} DROP CONSTRAINT IF EXISTS ${quoteIdent(k.name)}`);
  } catch (e) {
    throw mapQueryError(e, `dropping the primary key of ${qualified(k.schema, k.table)} for the load`);
  }
}

/** Adds the key again unless the table has a primary key already (a rerun after a kill during the build). */
export async function restoreKey(client: pg.Client, k: DeferredKey): Promise<void> {
  const table = qualified(k.schema, k.table);
  try {
    const has = await client.query(`SELECT 1 FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'`, [table]);
    if (has.rows.length) return;
    await client.query(`ALTER TABLE ${table} ADD CONSTRAINT ${quoteIdent(k.name)} ${k.definition}`);
  } catch (e) {
    // (A NULL key cannot arrive: dropping the key leaves its columns NOT NULL, checked on PostgreSQL 15.)
    const { code, detail } = e as { code?: string; detail?: string };
    if (code === '23505') {
      throw new DbError('data', `cannot build the primary key of ${table} (${k.definition}) over the loaded rows: ${(e as Error).message}${detail ? ` (${detail})` : ''}`,
        'the target table differs from the source (two rows share a key); remove the offending rows, then rerun import data: it builds the key again', code, e);
    }
    throw mapQueryError(e, `building the primary key of ${table} (${k.definition}) after its rows were loaded`);
  }
}
