/**
 * Opening MySQL/MariaDB connections: every value as the server's text (dates with their microseconds, DECIMAL
 * and BIGINT exact, JSON unparsed), the session in UTC, SSL modes as our PostgreSQL flags define them, and
 * errors mapped to one-line fixes.
 */
import mysql from 'mysql2/promise';
import type { Conn, ConnSettings } from '../../core/connection.js';
import { readSslFile } from '../../infra/connect-errors.js';
import { mapConnectError } from './errors.js';

/** Options every connection of ours uses; the binlog reader takes the same (values decoded the same way). */
export function baseOptions(c: Conn): mysql.ConnectionOptions {
  const s = c.settings;
  return {
    host: s.host,
    port: s.port,
    user: s.user,
    password: c.secret.password,
    database: s.database,
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    jsonStrings: true,
    decimalNumbers: false,
    timezone: 'Z',
    charset: 'utf8mb4_general_ci',
    connectTimeout: 30_000,
    enableKeepAlive: true,
  } as mysql.ConnectionOptions;
}

/** The TLS attempts for an ssl mode: `prefer` tries TLS then plain, `allow` plain then TLS. */
export function sslAttempts(s: ConnSettings): (mysql.SslOptions | undefined)[] {
  if (s.sslMode === 'disable') return [undefined];
  const ca = readSslFile(s.role, 'root-cert', s.sslRootCert);
  const base = { cert: readSslFile(s.role, 'cert', s.sslCert), key: readSslFile(s.role, 'key', s.sslKey) };
  const verify = s.sslMode === 'verify-full' || s.sslMode === 'verify-ca' || (s.sslMode === 'require' && ca !== undefined);
  const tls: mysql.SslOptions = verify
    ? { ...base, ca, rejectUnauthorized: true, ...(s.sslMode === 'verify-full' ? {} : { verifyIdentity: false }) }
    : { ...base, rejectUnauthorized: false };
  if (s.sslMode === 'prefer') return [tls, undefined];
  if (s.sslMode === 'allow') return [undefined, tls];
  return [tls];
}

/** SQL run first in every session: UTC (TIMESTAMP values are rendered in the session zone) and utf8mb4. */
export const SESSION_SETUP = ["SET time_zone = '+00:00'", 'SET NAMES utf8mb4'];

export interface ConnectOptions {
  /** More statements after SESSION_SETUP. */
  sessionSetup?: readonly string[];
  /**
   * The collation (by id) the session starts with instead of utf8mb4. mysql2 encodes statements in the
   * handshake's character set, and follows a later SET character_set_client only when the server reports it
   * (session tracking, which a server may have off); this makes text reach the server in another character
   * set either way.
   */
  collationId?: number;
  /** Several statements in one query text (values are escaped by mysql2, never interpolated raw). */
  multipleStatements?: boolean;
}

export async function connect(c: Conn, o: ConnectOptions = {}): Promise<mysql.Connection> {
  let conn: mysql.Connection | undefined;
  let lastErr: unknown;
  try {
    for (const ssl of sslAttempts(c.settings)) {
      try {
        conn = await mysql.createConnection({ ...baseOptions(c), ...(o.collationId ? { charset: undefined, charsetNumber: o.collationId } : {}), ssl, multipleStatements: o.multipleStatements ?? false });
        lastErr = undefined;
        break;
      } catch (e) {
        lastErr = e;
        const code = (e as { code?: string }).code;
        if (code !== 'HANDSHAKE_NO_SSL_SUPPORT' && !/SSL|secure connection/i.test(String((e as Error).message))) break;
      }
    }
    if (lastErr || !conn) throw lastErr;
  } catch (e) {
    throw mapConnectError(e, c.settings);
  }
  conn.on('error', () => undefined); // surfaces on the next query; an idle socket error must not crash the process
  try {
    for (const sql of [...SESSION_SETUP, ...(o.sessionSetup ?? [])]) await conn.query(sql);
  } catch (e) {
    conn.destroy();
    throw mapConnectError(e, c.settings);
  }
  return conn;
}

/** Run `fn` on a connection of its own, closed afterwards whatever happens. */
export async function withConnection<T>(c: Conn, fn: (conn: mysql.Connection) => Promise<T>, o: ConnectOptions = {}): Promise<T> {
  const conn = await connect(c, o);
  try {
    return await fn(conn);
  } finally {
    await conn.end().catch(() => conn.destroy());
  }
}

/** Rows of a query as plain objects (mysql2 returns [rows, fields]). */
export async function rows<T = Record<string, unknown>>(conn: mysql.Connection, sql: string, params: unknown[] = []): Promise<T[]> {
  const [r] = await conn.query(sql, params);
  return r as T[];
}

/** `name` as a MySQL identifier. */
export function quoteMyIdent(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`';
}
