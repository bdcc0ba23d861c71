/**
 * Bookkeeping of applied change events on a MySQL/MariaDB source in fall-back, in the metadata database
 * (metadata-db.ts), with the same tables and meaning as PostgreSQL's (postgres/event-metadata.ts):
 *
 *  ybvoyager_import_data_event_channels_metainfo: the applied watermark (last vsn applied) and event totals,
 *    one row per migration (channel 0: one ordered channel).
 *  ybvoyager_imported_event_count_by_table: inserts, updates and deletes applied, per table.
 *
 * Both are written in the transaction of the changes they describe: after a crash the watermark says
 * exactly which events are in the database.
 */
import type mysql from 'mysql2/promise';
import type { EventCounts } from '../../core/apply-batching.js';
import { InternalError } from '../../infra/errors.js';
import type { AppliedState } from '../engine.js';
import { rows } from './connection.js';
import { mapQueryError } from './errors.js';
import { ensureMetadataDb, METADATA_DB } from './metadata-db.js';
import { TARGET_SCHEMA } from './names.js';

const CHANNELS = `\`${METADATA_DB}\`.ybvoyager_import_data_event_channels_metainfo`;
const COUNTS = `\`${METADATA_DB}\`.ybvoyager_imported_event_count_by_table`;
const CHANNEL_NO = 0;

const DDL = [
  `CREATE TABLE IF NOT EXISTS ${CHANNELS} (migration_uuid CHAR(36) NOT NULL, channel_no INT NOT NULL,
     last_applied_vsn BIGINT NOT NULL, num_inserts BIGINT NOT NULL DEFAULT 0, num_updates BIGINT NOT NULL DEFAULT 0,
     num_deletes BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (migration_uuid, channel_no)) ENGINE = InnoDB`,
  `CREATE TABLE IF NOT EXISTS ${COUNTS} (migration_uuid CHAR(36) NOT NULL, schema_name VARCHAR(64) NOT NULL,
     table_name VARCHAR(255) COLLATE utf8mb4_bin NOT NULL, channel_no INT NOT NULL, total_events BIGINT NOT NULL DEFAULT 0,
     num_inserts BIGINT NOT NULL DEFAULT 0, num_updates BIGINT NOT NULL DEFAULT 0, num_deletes BIGINT NOT NULL DEFAULT 0,
     PRIMARY KEY (migration_uuid, schema_name, table_name, channel_no)) ENGINE = InnoDB`,
];

/** Create the database, the tables and this migration's channel row if missing; return what has been applied. */
export async function ensureEventMetadata(conn: mysql.Connection, migrationUuid: string): Promise<AppliedState> {
  await ensureMetadataDb(conn);
  try {
    for (const sql of DDL) await conn.query(sql);
    await conn.query(
      `INSERT INTO ${CHANNELS} (migration_uuid, channel_no, last_applied_vsn) VALUES (?, ?, 0) ON DUPLICATE KEY UPDATE migration_uuid = migration_uuid`,
      [migrationUuid, CHANNEL_NO],
    );
  } catch (e) {
    throw mapQueryError(e, `recording the change import in database ${METADATA_DB}`);
  }
  const state = await readAppliedState(conn, migrationUuid);
  if (!state) throw new InternalError('the channel row of this migration vanished right after it was created');
  return state;
}

/** 1146 no such table, 1049 no such database: nothing was applied here yet. */
const isMissing = (e: unknown) => [1146, 1049].includes((e as { errno?: number }).errno ?? 0);

export async function readAppliedState(conn: mysql.Connection, migrationUuid: string): Promise<AppliedState | undefined> {
  try {
    const r = await rows<{ v: string; i: string; u: string; d: string }>(
      conn,
      `SELECT last_applied_vsn AS v, num_inserts AS i, num_updates AS u, num_deletes AS d FROM ${CHANNELS} WHERE migration_uuid = ? AND channel_no = ?`,
      [migrationUuid, CHANNEL_NO],
    );
    const row = r[0];
    if (!row) return undefined;
    return { watermark: Number(row.v), totals: { c: Number(row.i), u: Number(row.u), d: Number(row.d) } };
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw mapQueryError(e, 'reading the applied-changes watermark');
  }
}

/** Per table (as PostgreSQL names it), the events applied in one transaction. */
export type TableCountDeltas = ReadonlyMap<string, EventCounts>;

/**
 * Move the watermark from `fromVsn` to `toVsn` and add the counts, inside the open transaction. False when
 * the stored watermark is no longer `fromVsn` (another process applied meanwhile): the caller rolls back.
 * (The counts use VALUES(col): MariaDB has no row alias, and MySQL 8 still accepts VALUES(), with a warning.)
 */
export async function moveWatermark(conn: mysql.Connection, migrationUuid: string, fromVsn: number, toVsn: number, tables: TableCountDeltas): Promise<boolean> {
  const total = { c: 0, u: 0, d: 0 };
  const values: string[] = [];
  for (const [table, n] of tables) {
    total.c += n.c;
    total.u += n.u;
    total.d += n.d;
    if (n.c + n.u + n.d > 0) values.push(conn.format('(?, ?, ?, ?, ?, ?, ?, ?)', [migrationUuid, TARGET_SCHEMA, table, CHANNEL_NO, n.c + n.u + n.d, n.c, n.u, n.d]));
  }
  // The session reports matched rows (mysql2 sets CLIENT_FOUND_ROWS), so 1 means the row had `fromVsn`.
  const [r] = await conn.query(
    `UPDATE ${CHANNELS} SET last_applied_vsn = ?, num_inserts = num_inserts + ?, num_updates = num_updates + ?, num_deletes = num_deletes + ?
      WHERE migration_uuid = ? AND channel_no = ? AND last_applied_vsn = ?`,
    [toVsn, total.c, total.u, total.d, migrationUuid, CHANNEL_NO, fromVsn],
  );
  if ((r as mysql.ResultSetHeader).affectedRows !== 1) return false;
  if (values.length) {
    await conn.query(
      `INSERT INTO ${COUNTS} (migration_uuid, schema_name, table_name, channel_no, total_events, num_inserts, num_updates, num_deletes)
       VALUES ${values.join(', ')} ON DUPLICATE KEY UPDATE total_events = total_events + VALUES(total_events),
         num_inserts = num_inserts + VALUES(num_inserts), num_updates = num_updates + VALUES(num_updates), num_deletes = num_deletes + VALUES(num_deletes)`,
    );
  }
  return true;
}

/** Per-table imported event counts of one migration (get data-migration-report); [] if nothing was imported. */
export async function readImportedEventCounts(conn: mysql.Connection, migrationUuid: string) {
  try {
    const r = await rows<{ s: string; t: string; i: string; u: string; d: string }>(
      conn,
      `SELECT schema_name AS s, table_name AS t, CAST(SUM(num_inserts) AS CHAR) AS i, CAST(SUM(num_updates) AS CHAR) AS u, CAST(SUM(num_deletes) AS CHAR) AS d
         FROM ${COUNTS} WHERE migration_uuid = ? GROUP BY schema_name, table_name ORDER BY 1, 2`,
      [migrationUuid],
    );
    return r.map((x) => ({ schema: x.s, table: x.t, inserts: Number(x.i), updates: Number(x.u), deletes: Number(x.d) }));
  } catch (e) {
    if (isMissing(e)) return [];
    throw mapQueryError(e, 'reading imported event counts');
  }
}
