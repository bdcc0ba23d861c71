/**
 * The schema holding import bookkeeping in the database being written to (ybvoyager_metadata): snapshot
 * batches, the applied-changes watermark and per-table event counts. It lives next to the data so that
 * bookkeeping and data commit in one transaction. `end migration` drops it.
 */
import type pg from 'pg';
import { quoteIdent } from './connection.js';
import { mapQueryError } from './errors.js';
import { METADATA_SCHEMA } from './capture-names.js';

export { METADATA_SCHEMA };

/** `ybvoyager_metadata.<table>`, quoted. */
export function metadataTable(table: string): string {
  return `${quoteIdent(METADATA_SCHEMA)}.${quoteIdent(table)}`;
}

/**
 * Run CREATE … IF NOT EXISTS statements. Two processes creating the same object at once can still
 * collide in the catalog (23505 on pg_namespace/pg_type, 42P07): the loser retries and finds it there.
 */
export async function ensureMetadataObjects(client: pg.Client, ddl: readonly string[]): Promise<void> {
  const statements = [`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(METADATA_SCHEMA)}`, ...ddl];
  for (const sql of statements) {
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(sql);
        break;
      } catch (e) {
        const code = (e as { code?: string }).code;
        if ((code === '23505' || code === '42P07' || code === '42710') && attempt < 3) continue;
        throw mapQueryError(e, `creating the ${METADATA_SCHEMA} schema`);
      }
    }
  }
}
