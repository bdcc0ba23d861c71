/**
 * Which MySQL/MariaDB database a connection reaches: the server's UUID (MySQL) or host name + server_id
 * (MariaDB has no server_uuid), with the database name. The state store refuses a rerun against another one.
 */
import type mysql from 'mysql2/promise';
import type { ConnSettings, DbIdentity } from '../../core/connection.js';
import { rows } from './connection.js';
import { mapQueryError } from './errors.js';

export interface ServerFlavor {
  /** 'mariadb' or 'mysql'. */
  flavor: 'mariadb' | 'mysql';
  version: string;
}

export async function serverFlavor(conn: mysql.Connection): Promise<ServerFlavor> {
  const [r] = await rows<{ v: string }>(conn, 'SELECT VERSION() AS v');
  return { flavor: /mariadb/i.test(r.v) ? 'mariadb' : 'mysql', version: r.v };
}

export async function databaseIdentity(conn: mysql.Connection, s: ConnSettings): Promise<DbIdentity> {
  try {
    const { flavor } = await serverFlavor(conn);
    const sql =
      flavor === 'mysql'
        ? 'SELECT @@server_uuid AS id, DATABASE() AS db'
        : "SELECT CONCAT(@@hostname, '/', @@server_id, '/', @@datadir) AS id, DATABASE() AS db";
    const [r] = await rows<{ id: string; db: string | null }>(conn, sql);
    return { dbType: 'mysql', systemId: r.id, dbName: r.db ?? s.database, host: s.host, port: s.port };
  } catch (e) {
    throw mapQueryError(e, `identifying the ${s.role} database`);
  }
}
