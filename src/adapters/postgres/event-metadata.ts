/**
 * Bookkeeping of applied change events in the database being written to (target, or source in fall-back):
 *
 *  ybvoyager_import_data_event_channels_metainfo: the applied watermark (last vsn applied) and event totals.
 *    We apply through one ordered channel, so there is one row per migration: channel_no 0.
 *  ybvoyager_imported_event_count_by_table: inserts, updates and deletes applied, per table.
 *
 * Both are written by the same statement, in the same transaction as the changes they describe: after a
 * crash the watermark says exactly which events are in the database (names follow the reference tool).
 */
import type pg from 'pg';
import type { EventCounts } from '../../core/apply-batching.js';
import { InternalError } from '../../infra/errors.js';
import { mapQueryError } from './errors.js';
import { ensureMetadataObjects, metadataTable } from './metadata-schema.js';

export const CHANNELS_TABLE = metadataTable('ybvoyager_import_data_event_channels_metainfo');
export const COUNTS_TABLE = metadataTable('ybvoyager_imported_event_count_by_table');
export const CHANNEL_NO = 0;

const DDL = [
  `CREATE TABLE IF NOT EXISTS ${CHANNELS_TABLE} (migration_uuid uuid NOT NULL, channel_no int NOT NULL,
     last_applied_vsn bigint NOT NULL, num_inserts bigint NOT NULL DEFAULT 0, num_updates bigint NOT NULL DEFAULT 0,
     num_deletes bigint NOT NULL DEFAULT 0, PRIMARY KEY (migration_uuid, channel_no))`,
  `CREATE TABLE IF NOT EXISTS ${COUNTS_TABLE} (migration_uuid uuid NOT NULL, schema_name text NOT NULL, table_name text NOT NULL,
     channel_no int NOT NULL, total_events bigint NOT NULL DEFAULT 0, num_inserts bigint NOT NULL DEFAULT 0,
     num_updates bigint NOT NULL DEFAULT 0, num_deletes bigint NOT NULL DEFAULT 0,
     PRIMARY KEY (migration_uuid, schema_name, table_name, channel_no))`,
];

export interface AppliedState {
  /** Last vsn applied (0 before the first event). */
  watermark: number;
  totals: EventCounts;
}

/** Create the tables and this migration's channel row if missing; return what has been applied so far. */
export async function ensureEventMetadata(client: pg.Client, migrationUuid: string): Promise<AppliedState> {
  await ensureMetadataObjects(client, DDL);
  try {
    await client.query(
      `INSERT INTO ${CHANNELS_TABLE} (migration_uuid, channel_no, last_applied_vsn) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING`,
      [migrationUuid, CHANNEL_NO],
    );
  } catch (e) {
    throw mapQueryError(e, 'recording the change import in the metadata schema');
  }
  const state = await readAppliedState(client, migrationUuid);
  if (!state) throw new InternalError('the channel row of this migration vanished right after it was created');
  return state;
}

export async function readAppliedState(client: pg.Client, migrationUuid: string): Promise<AppliedState | undefined> {
  try {
    const r = await client.query<{ v: string; i: string; u: string; d: string }>(
      `SELECT last_applied_vsn AS v, num_inserts AS i, num_updates AS u, num_deletes AS d FROM ${CHANNELS_TABLE}
       WHERE migration_uuid = $1 AND channel_no = $2`,
      [migrationUuid, CHANNEL_NO],
    );
    const row = r.rows[0];
    if (!row) return undefined;
    return { watermark: Number(row.v), totals: { c: Number(row.i), u: Number(row.u), d: Number(row.d) } };
  } catch (e) {
    if ((e as { code?: string }).code === '42P01' || (e as { code?: string }).code === '3F000') return undefined;
    throw mapQueryError(e, 'reading the applied-changes watermark');
  }
}

export interface TableCountDelta {
  schema: string;
  table: string;
  counts: EventCounts;
}

/**
 * One statement that moves the watermark from `fromVsn` to `toVsn` and adds the counts. It only matches
 * when the stored watermark is still `fromVsn`; if another process applied meanwhile, it fails with
 * division_by_zero (WATERMARK_CONFLICT), which aborts the transaction: the COMMIT sent right behind it in the
 * same round trip then rolls back instead of applying twice.
 */
/** SQLSTATE of watermarkStatement when the watermark was not where the caller expected it. */
export const WATERMARK_CONFLICT = '22012';

export function watermarkStatement(migrationUuid: string, fromVsn: number, toVsn: number, tables: readonly TableCountDelta[]): pg.QueryConfig {
  const total = { c: 0, u: 0, d: 0 };
  for (const t of tables) {
    total.c += t.counts.c;
    total.u += t.counts.u;
    total.d += t.counts.d;
  }
  const text = `WITH wm AS (
      UPDATE ${CHANNELS_TABLE} SET last_applied_vsn = $3, num_inserts = num_inserts + $4, num_updates = num_updates + $5,
        num_deletes = num_deletes + $6
      WHERE migration_uuid = $1 AND channel_no = ${CHANNEL_NO} AND last_applied_vsn = $2 RETURNING 1
    ), counts AS (
      INSERT INTO ${COUNTS_TABLE} AS x (migration_uuid, schema_name, table_name, channel_no, total_events, num_inserts, num_updates, num_deletes)
      SELECT $1, v.s, v.t, ${CHANNEL_NO}, v.c + v.u + v.d, v.c, v.u, v.d
      FROM unnest($7::text[], $8::text[], $9::bigint[], $10::bigint[], $11::bigint[]) AS v(s, t, c, u, d)
      ON CONFLICT (migration_uuid, schema_name, table_name, channel_no) DO UPDATE SET
        total_events = x.total_events + excluded.total_events, num_inserts = x.num_inserts + excluded.num_inserts,
        num_updates = x.num_updates + excluded.num_updates, num_deletes = x.num_deletes + excluded.num_deletes
      RETURNING 1
    )
    SELECT 1 / (SELECT count(*) FROM wm) AS moved`;
  const withEvents = tables.filter((t) => t.counts.c + t.counts.u + t.counts.d > 0);
  return {
    name: 'ybv_watermark',
    text,
    values: [
      migrationUuid, fromVsn, toVsn, total.c, total.u, total.d,
      withEvents.map((t) => t.schema), withEvents.map((t) => t.table),
      withEvents.map((t) => t.counts.c), withEvents.map((t) => t.counts.u), withEvents.map((t) => t.counts.d),
    ],
  };
}

export interface ImportedTableCounts {
  schema: string;
  table: string;
  inserts: number;
  updates: number;
  deletes: number;
}

/** Per-table imported event counts of one migration (for get data-migration-report); [] if nothing was imported. */
export async function readImportedEventCounts(client: pg.Client, migrationUuid: string): Promise<ImportedTableCounts[]> {
  try {
    const r = await client.query<{ s: string; t: string; i: string; u: string; d: string }>(
      `SELECT schema_name AS s, table_name AS t, sum(num_inserts) AS i, sum(num_updates) AS u, sum(num_deletes) AS d
       FROM ${COUNTS_TABLE} WHERE migration_uuid = $1 GROUP BY schema_name, table_name ORDER BY 1, 2`,
      [migrationUuid],
    );
    return r.rows.map((x) => ({ schema: x.s, table: x.t, inserts: Number(x.i), updates: Number(x.u), deletes: Number(x.d) }));
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === '42P01' || code === '3F000') return [];
    throw mapQueryError(e, 'reading imported event counts');
  }
}
