/**
 * What a snapshot needs to know about the source tables: which tables live in the chosen schemas
 * (partition roots and plain tables, never individual partitions), their columns, primary keys, leaf
 * partitions, sizes, and whether the migration user may read (and, for a live migration, publish) them.
 */
import type pg from 'pg';
import { resolveNames, TablePatternError } from '../../core/table-filter.js';
import { UserError } from '../../infra/errors.js';
import { mapQueryError } from './errors.js';

export interface CatalogColumn {
  name: string;
  type: string;
  /** GENERATED ALWAYS AS (…) STORED: the target computes it, so it is not copied. */
  generated: boolean;
  /** Its values load from binary COPY into the same type on any PostgreSQL (see BINARY_SAFE). */
  binarySafe: boolean;
}

/**
 * A type whose binary COPY form another PostgreSQL database reads back as the same value: a built-in base type
 * (fixed OIDs below 16384, in pg_catalog) with binary I/O, whose element type (arrays, and fixed-length arrays
 * such as point) is one too. Not the reg* types (their binary form is an OID, which differs between databases)
 * and not enums, domains, composites or ranges (user types: other OIDs, or OIDs inside the value).
 */
const BINARY_SAFE = (t: string) =>
  `(${t}.oid < 16384 AND ${t}.typtype = 'b' AND ${t}.typnamespace = 'pg_catalog'::regnamespace AND ${t}.typname NOT LIKE 'reg%'
    AND ${t}.typsend::oid <> 0 AND ${t}.typreceive::oid <> 0)`;

export interface CatalogLeaf {
  oid: string;
  schema: string;
  table: string;
  canSelect: boolean;
}

export interface CatalogTable {
  oid: string;
  schema: string;
  table: string;
  isPartitioned: boolean;
  columns: CatalogColumn[];
  pk: string[];
  /** Leaf partitions (partitioned tables); for a plain table, the table itself. */
  leaves: CatalogLeaf[];
  estimatedRows: number;
  canSelect: boolean;
  /** Owner or member of the owning role: needed to add it to a publication. */
  owned: boolean;
  /** relreplident: d(efault) n(othing) f(ull) i(ndex). */
  replicaIdentity: string;
}

/** Schemas named by --source-db-schema that exist (core/table-filter.ts resolveNames has the rules). */
export async function resolveSchemas(client: pg.Client, requested: readonly string[]): Promise<{ found: string[]; missing: string[] }> {
  const all = (await query<{ nspname: string }>(client, `SELECT nspname FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema' ORDER BY 1`, [])).map((r) => r.nspname);
  try {
    return resolveNames(requested, all);
  } catch (e) {
    if (e instanceof TablePatternError) throw new UserError(e.message, 'check --source-db-schema');
    throw e;
  }
}

async function query<T extends pg.QueryResultRow>(client: pg.Client, sql: string, params: unknown[]): Promise<T[]> {
  try {
    return (await client.query<T>(sql, params)).rows;
  } catch (e) {
    throw mapQueryError(e, 'reading the source catalog');
  }
}

/** Every plain or partitioned table (not partitions) in the given schemas, with what the snapshot needs. */
export async function listTables(client: pg.Client, schemas: readonly string[]): Promise<CatalogTable[]> {
  const rels = await query<{ oid: string; schema: string; table: string; relkind: string; reltuples: string; can_select: string; owned: string; relreplident: string }>(
    client,
    `SELECT c.oid, n.nspname AS schema, c.relname AS table, c.relkind, c.reltuples,
            has_table_privilege(c.oid, 'SELECT') AS can_select, pg_has_role(c.relowner, 'USAGE') AS owned, c.relreplident
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY($1::text[])
     ORDER BY n.nspname, c.relname`,
    [schemas],
  );
  if (!rels.length) return [];
  const oids = rels.map((r) => r.oid);
  const cols = await query<{ relid: string; name: string; type: string; generated: string; binary_safe: string }>(
    client,
    `SELECT a.attrelid AS relid, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attgenerated AS generated,
            (${BINARY_SAFE('t')} AND (t.typelem = 0 OR ${BINARY_SAFE('e')}))::text AS binary_safe
     FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_type e ON e.oid = t.typelem
     WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attrelid, a.attnum`,
    [oids],
  );
  const pks = await query<{ relid: string; name: string }>(
    client,
    `SELECT i.indrelid AS relid, a.attname AS name
     FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indisprimary AND i.indrelid = ANY($1::oid[])
     ORDER BY i.indrelid, k.ord`,
    [oids],
  );
  const partitioned = rels.filter((r) => r.relkind === 'p').map((r) => r.oid);
  const leaves = partitioned.length
    ? await query<{ root: string; oid: string; schema: string; table: string; can_select: string; reltuples: string }>(
        client,
        `SELECT r.root, c.oid, n.nspname AS schema, c.relname AS table, has_table_privilege(c.oid, 'SELECT') AS can_select, c.reltuples
         FROM unnest($1::oid[]) AS r(root) CROSS JOIN LATERAL pg_partition_tree(r.root) p
         JOIN pg_class c ON c.oid = p.relid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE p.isleaf AND c.relkind = 'r'
         ORDER BY r.root, n.nspname, c.relname`,
        [partitioned],
      )
    : [];
  return rels.map((r) => {
    const isPartitioned = r.relkind === 'p';
    const myLeaves = isPartitioned
      ? leaves.filter((l) => l.root === r.oid)
      : [{ oid: r.oid, schema: r.schema, table: r.table, can_select: r.can_select, reltuples: r.reltuples }];
    const rows = myLeaves.reduce((sum, l) => sum + Math.max(0, Number(l.reltuples)), 0);
    return {
      oid: r.oid,
      schema: r.schema,
      table: r.table,
      isPartitioned,
      columns: cols.filter((c) => c.relid === r.oid).map((c) => ({ name: c.name, type: c.type, generated: c.generated === 's', binarySafe: c.binary_safe === 'true' })),
      pk: pks.filter((p) => p.relid === r.oid).map((p) => p.name),
      leaves: myLeaves.map((l) => ({ oid: l.oid, schema: l.schema, table: l.table, canSelect: l.can_select === 't' })),
      estimatedRows: Math.round(rows),
      canSelect: r.can_select === 't',
      owned: r.owned === 't',
      replicaIdentity: r.relreplident,
    };
  });
}

/** Heap size in blocks of each relation, measured now (call it once the tables are locked). */
export async function relationBlocks(client: pg.Client, oids: readonly string[]): Promise<Map<string, number>> {
  if (!oids.length) return new Map();
  const rows = await query<{ oid: string; blocks: string }>(
    client,
    `SELECT r.oid, pg_relation_size(r.oid) / current_setting('block_size')::bigint AS blocks FROM unnest($1::oid[]) AS r(oid)`,
    [oids],
  );
  return new Map(rows.map((r) => [r.oid, Number(r.blocks)]));
}

/** The server's block size in bytes (chunk thresholds are given in bytes). */
export async function blockSize(client: pg.Client): Promise<number> {
  const rows = await query<{ bs: string }>(client, `SELECT current_setting('block_size') AS bs`, []);
  return Number(rows[0].bs);
}
