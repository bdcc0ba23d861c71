/**
 * The database this tool keeps on a MySQL/MariaDB source for fall-back (as PostgreSQL's ybvoyager_metadata
 * schema): the applied-changes watermark and counts, and the triggers set aside while changes are applied.
 * A MySQL schema is a database, so it is a database of its own, dropped by end migration.
 */
import type mysql from 'mysql2/promise';
import { mapQueryError } from './errors.js';

export const METADATA_DB = 'ybvoyager_metadata';

/** Create the metadata database if missing (CREATE privilege on it, see docs/prepare-databases.md). */
export async function ensureMetadataDb(conn: mysql.Connection): Promise<void> {
  try {
    await conn.query(`CREATE DATABASE IF NOT EXISTS \`${METADATA_DB}\` CHARACTER SET utf8mb4`);
  } catch (e) {
    throw mapQueryError(e, `creating database ${METADATA_DB}`);
  }
}
