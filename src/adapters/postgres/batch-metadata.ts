/**
 * Bookkeeping of imported snapshot batches in the database being written to, in the reference tool's table
 * ybvoyager_metadata.ybvoyager_import_data_batches_metainfo_v3: one row per batch, inserted in the same
 * transaction as the batch's COPY. After any crash the table says exactly which rows are in the database.
 *
 * Batches of one chunk file are imported strictly in order by one worker, so what a file has imported is
 * always a prefix of it: its rows are sum(rows_imported) and the next batch number is max(batch_number)+1.
 * A rerun therefore resumes at the right line whatever --batch-size it is given.
 */
import type pg from 'pg';
import { mapQueryError } from './errors.js';
import { ensureMetadataObjects, metadataTable } from './metadata-schema.js';

export const BATCHES_TABLE = metadataTable('ybvoyager_import_data_batches_metainfo_v3');

const DDL = [
  `CREATE TABLE IF NOT EXISTS ${BATCHES_TABLE} (migration_uuid uuid NOT NULL, data_file_name text NOT NULL,
     batch_number int NOT NULL, schema_name text NOT NULL, table_name text NOT NULL, rows_imported bigint NOT NULL,
     PRIMARY KEY (migration_uuid, data_file_name, batch_number, schema_name, table_name))`,
];

export async function ensureBatchMetadata(client: pg.Client): Promise<void> {
  await ensureMetadataObjects(client, DDL);
}

export interface FileImportState {
  rows: number;
  lastBatch: number;
}

function missingTable(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === '42P01' || code === '3F000';
}

/** What each data file of this migration has imported so far. */
export async function importedByFile(client: pg.Client, migrationUuid: string): Promise<Map<string, FileImportState>> {
  try {
    const r = await client.query<{ f: string; rows: string; last: string }>(
      `SELECT data_file_name AS f, sum(rows_imported) AS rows, max(batch_number) AS last FROM ${BATCHES_TABLE}
       WHERE migration_uuid = $1 GROUP BY data_file_name`,
      [migrationUuid],
    );
    return new Map(r.rows.map((x) => [x.f, { rows: Number(x.rows), lastBatch: Number(x.last) }]));
  } catch (e) {
    if (missingTable(e)) return new Map();
    throw mapQueryError(e, 'reading imported batches');
  }
}

export interface ImportedTableRows {
  schema: string;
  table: string;
  rows: number;
}

/** Imported snapshot rows per table of this migration ([] before anything was imported). */
export async function importedRowsByTable(client: pg.Client, migrationUuid: string): Promise<ImportedTableRows[]> {
  try {
    const r = await client.query<{ s: string; t: string; rows: string }>(
      `SELECT schema_name AS s, table_name AS t, sum(rows_imported) AS rows FROM ${BATCHES_TABLE}
       WHERE migration_uuid = $1 GROUP BY schema_name, table_name ORDER BY 1, 2`,
      [migrationUuid],
    );
    return r.rows.map((x) => ({ schema: x.s, table: x.t, rows: Number(x.rows) }));
  } catch (e) {
    if (missingTable(e)) return [];
    throw mapQueryError(e, 'reading imported snapshot rows');
  }
}

/** Forget what this migration imported for these tables (--start-clean). */
export async function deleteBatches(client: pg.Client, migrationUuid: string, tables: readonly { schema: string; table: string }[]): Promise<number> {
  try {
    const r = await client.query(
      `DELETE FROM ${BATCHES_TABLE} b USING unnest($2::text[], $3::text[]) AS t(s, n)
       WHERE b.migration_uuid = $1 AND b.schema_name = t.s AND b.table_name = t.n`,
      [migrationUuid, tables.map((t) => t.schema), tables.map((t) => t.table)],
    );
    return r.rowCount ?? 0;
  } catch (e) {
    if (missingTable(e)) return 0;
    throw mapQueryError(e, 'deleting imported batch records');
  }
}

export interface BatchRecord {
  migrationUuid: string;
  fileName: string;
  batchNumber: number;
  schema: string;
  table: string;
}

export function batchExistsQuery(b: BatchRecord): pg.QueryConfig {
  return {
    name: 'ybv_batch_exists',
    text: `SELECT 1 FROM ${BATCHES_TABLE} WHERE migration_uuid = $1 AND data_file_name = $2 AND batch_number = $3 AND schema_name = $4 AND table_name = $5`,
    values: [b.migrationUuid, b.fileName, b.batchNumber, b.schema, b.table],
  };
}

export function insertBatchQuery(b: BatchRecord, rows: number): pg.QueryConfig {
  return {
    name: 'ybv_batch_insert',
    text: `INSERT INTO ${BATCHES_TABLE} (migration_uuid, data_file_name, batch_number, schema_name, table_name, rows_imported) VALUES ($1, $2, $3, $4, $5, $6)`,
    values: [b.migrationUuid, b.fileName, b.batchNumber, b.schema, b.table, rows],
  };
}
