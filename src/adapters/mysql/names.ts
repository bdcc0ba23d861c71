/**
 * How MySQL/MariaDB names appear on PostgreSQL, in one place: schema export, snapshot, binlog events, verify
 * and fall-back must agree on them.
 *
 *  - A MySQL connection reaches one database, and that database becomes one PostgreSQL schema, `public`
 *    (import schema --target-db-schema moves it elsewhere). So every table this engine reports is in
 *    TARGET_SCHEMA, whatever its database is called.
 *  - Table and column names are lower-cased, as the reference tool does (MySQL column names are
 *    case-insensitive; table names are on most servers too). Names stay otherwise as they are and are quoted
 *    where PostgreSQL needs it, so reserved words and odd characters survive.
 */
export const TARGET_SCHEMA = 'public';

export function pgName(mysqlName: string): string {
  return mysqlName.toLowerCase();
}
