/**
 * Where the binlog is now and which files it still has: the cutover's stop position, the retained bytes for
 * the log, and the check that a resume position was not purged. MySQL 8.4 renamed SHOW MASTER STATUS to
 * SHOW BINARY LOG STATUS (and SHOW MASTER LOGS to SHOW BINARY LOGS, which every version has).
 */
import type mysql from 'mysql2/promise';
import type { BinlogPosition } from './positions.js';
import { rows } from './connection.js';

export async function binlogHead(conn: mysql.Connection): Promise<BinlogPosition | undefined> {
  let r: { File: string; Position: number | string }[];
  try {
    r = await rows(conn, 'SHOW MASTER STATUS');
  } catch (e) {
    // 1064: a syntax error, i.e. MySQL 8.4+, where only the new name exists.
    if ((e as { errno?: number }).errno !== 1064) throw e;
    r = await rows(conn, 'SHOW BINARY LOG STATUS');
  }
  return r.length ? { file: r[0].File, pos: Number(r[0].Position) } : undefined;
}

export async function binlogFiles(conn: mysql.Connection): Promise<{ name: string; bytes: number }[]> {
  const r = await rows<{ Log_name: string; File_size: number | string }>(conn, 'SHOW BINARY LOGS');
  return r.map((x) => ({ name: x.Log_name, bytes: Number(x.File_size) }));
}

