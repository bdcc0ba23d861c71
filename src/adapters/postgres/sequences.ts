/**
 * Sequences across a cutover. Change streams carry rows, never sequence state: the rows a sequence
 * produced arrive on the other side, the sequence itself stays where it was. So at each cutover the
 * exporting side's sequences are read (with the marker), and restored on the side the application
 * moves to, so that its next nextval() is beyond both the exported value and every value already in
 * the columns that draw from it there ("never behind the data": the reference tool's #2355/PR #3802).
 *
 * Every sequence counts, owned by a column (serial, identity) or not (a default such as
 * 'INV-' || nextval('inv_no'), or a sequence the application calls itself).
 */
import type pg from 'pg';
import type { SequenceValue } from '../../core/cutover.js';
import { DbError } from '../../infra/errors.js';
import type { SequenceRestore, SequenceSync } from '../engine.js';
import { qualified, quoteIdent, quoteLiteral, withClient } from './connection.js';
import { mapQueryError } from './errors.js';

/**
 * Sequences of the migrated schemas: every sequence in them, plus any sequence elsewhere that a table
 * in them draws from (OWNED BY / identity, or a column default calling nextval()).
 */
const SEQUENCES_OF_SCHEMAS = `
  WITH tables AS (
    SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p')
  ), seqs AS (
    SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'S' AND c.relpersistence <> 't' AND n.nspname = ANY($1::text[])
    UNION
    SELECT d.objid FROM pg_depend d
    WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
      AND d.refobjid IN (SELECT oid FROM tables)
    UNION
    SELECT d.refobjid FROM pg_depend d JOIN pg_attrdef ad ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid
    WHERE d.refclassid = 'pg_class'::regclass AND ad.adrelid IN (SELECT oid FROM tables)
  )
  SELECT n.nspname AS schema, c.relname AS name,
         has_sequence_privilege(c.oid, 'SELECT,USAGE') AS readable,
         CASE WHEN has_sequence_privilege(c.oid, 'SELECT,USAGE') THEN pg_sequence_last_value(c.oid)::text END AS last_value
  FROM seqs JOIN pg_class c ON c.oid = seqs.oid AND c.relkind = 'S' JOIN pg_namespace n ON n.oid = c.relnamespace
  ORDER BY 1, 2`;

/**
 * Read the sequences of `schemas`. lastValue is null for a sequence never used (is_called false):
 * restoring then leaves the destination's own sequence alone unless its data says otherwise.
 */
export async function readSequences(client: pg.Client, schemas: readonly string[]): Promise<SequenceValue[]> {
  let rows: { schema: string; name: string; readable: boolean | string; last_value: string | null }[];
  try {
    rows = (await client.query(SEQUENCES_OF_SCHEMAS, [schemas])).rows;
  } catch (e) {
    throw mapQueryError(e, 'reading the sequences');
  }
  const unreadable = rows.filter((r) => !isTrue(r.readable)).map((r) => qualified(r.schema, r.name));
  if (unreadable.length) {
    throw new DbError(
      'privilege',
      `the migration user cannot read sequence(s) ${unreadable.join(', ')}, whose values must move at cutover`,
      `GRANT SELECT ON SEQUENCE ${unreadable.join(', ')} TO <migration user>`,
      '42501',
    );
  }
  return rows.map((r) => ({ schema: r.schema, name: r.name, lastValue: r.last_value }));
}

/** Integer-valued columns only: max() of a text column (e.g. 'INV-' || nextval()) says nothing. */
const USERS_OF_SEQUENCE = `
  WITH users AS (
    SELECT d.objid AS seq, d.refobjid AS rel, d.refobjsubid AS attnum FROM pg_depend d
    WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
      AND d.objid = $1::regclass AND d.refobjsubid > 0
    UNION
    SELECT d.refobjid, ad.adrelid, ad.adnum FROM pg_depend d JOIN pg_attrdef ad ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid
    WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = $1::regclass
  )
  SELECT n.nspname AS schema, c.relname AS table, a.attname AS column, a.atttypid::regtype::text AS type
  FROM users u JOIN pg_class c ON c.oid = u.rel JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = u.rel AND a.attnum = u.attnum AND NOT a.attisdropped
  WHERE c.relkind IN ('r', 'p') AND a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'numeric'::regtype)`;

export interface RestoreOptions {
  /** Schema name on the destination for a schema of the exporting side (identity by default). */
  mapSchema?: (schema: string) => string;
}

/**
 * setval() every sequence on the destination to the furthest of: the exported value, the destination's
 * own current value (a sequence never moves back, so no value is handed out twice), and the data in every
 * integer column that draws from it there (max, or min for a descending sequence). Idempotent: a rerun
 * computes the same value or a further one.
 */
export async function restoreSequences(client: pg.Client, values: readonly SequenceValue[], o: RestoreOptions = {}): Promise<SequenceRestore[]> {
  const out: SequenceRestore[] = [];
  for (const v of values) {
    const schema = o.mapSchema ? o.mapSchema(v.schema) : v.schema;
    const ident = `${quoteIdent(schema)}.${quoteIdent(v.name)}`;
    try {
      const info = await client.query<{ increment: string; cur: string | null }>(
        `SELECT s.seqincrement::text AS increment, pg_sequence_last_value(c.oid)::text AS cur
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_sequence s ON s.seqrelid = c.oid
         WHERE n.nspname = $1 AND c.relname = $2`,
        [schema, v.name],
      );
      if (!info.rows.length) {
        out.push({ schema, name: v.name, skipped: 'missing', columns: [] });
        continue;
      }
      const descending = BigInt(info.rows[0].increment) < 0n;
      const users = (await client.query<{ schema: string; table: string; column: string; type: string }>(USERS_OF_SEQUENCE, [ident])).rows;
      const agg = descending ? 'min' : 'max';
      const round = descending ? 'floor' : 'ceil';
      const candidates = [
        v.lastValue === null ? 'NULL::bigint' : `${quoteLiteral(v.lastValue)}::bigint`,
        info.rows[0].cur === null ? 'NULL::bigint' : `${quoteLiteral(info.rows[0].cur)}::bigint`,
        ...users.map((u) => {
          const col = quoteIdent(u.column);
          const value = u.type === 'numeric' ? `${round}(${agg}(${col}))::bigint` : `${agg}(${col})::bigint`;
          return `(SELECT ${value} FROM ${quoteIdent(u.schema)}.${quoteIdent(u.table)})`;
        }),
      ];
      const pick = descending ? 'LEAST' : 'GREATEST';
      const r = await client.query<{ v: string | null }>(`SELECT ${pick}(${candidates.join(', ')})::text AS v`);
      const target = r.rows[0].v;
      const columns = users.map((u) => `${u.schema}.${u.table}.${u.column}`);
      if (target === null) {
        out.push({ schema, name: v.name, skipped: 'unused', columns });
        continue;
      }
      await client.query('SELECT setval($1::regclass, $2::bigint, true)', [ident, target]);
      out.push({ schema, name: v.name, setTo: target, columns });
    } catch (e) {
      if (e instanceof DbError) throw e;
      const code = (e as { code?: string }).code;
      if (code === '22003' || code === '2200H') {
        throw new DbError('data', `sequence ${schema}.${v.name} cannot be set beyond the data in its columns: ${(e as Error).message}`, `raise the sequence's MAXVALUE (ALTER SEQUENCE ${ident} MAXVALUE …) and rerun`, code, e);
      }
      throw mapQueryError(e, `restoring sequence ${schema}.${v.name}`);
    }
  }
  return out;
}

function isTrue(v: boolean | string): boolean {
  return v === true || v === 't' || v === 'true';
}

/** Sequence sync both ways: read where the stream leaves, restored where it arrives. */
export const pgSequences: SequenceSync = {
  read: (c, schemas) => withClient(c, 'yb-voyager cutover', (client) => readSequences(client, schemas)),
  restore: (c, values, o) => withClient(c, 'yb-voyager cutover', (client) => restoreSequences(client, values, o)),
};
