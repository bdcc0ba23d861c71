/**
 * MySQL/MariaDB and socket errors → DbError with a neutral kind and a hint naming the fix. Messages name
 * hosts, users and databases but never a password.
 */
import type { ConnSettings } from '../../core/connection.js';
import { socketError } from '../../infra/connect-errors.js';
import { DbError } from '../../infra/errors.js';

interface MyLikeError {
  code?: string;
  errno?: number;
  sqlState?: string;
  message?: string;
  fatal?: boolean;
}

const PRIVILEGE_ERRNOS = new Set([1044, 1142, 1143, 1227, 1370, 1045]);

export function mapConnectError(err: unknown, s: ConnSettings): DbError {
  if (err instanceof DbError) return err;
  const e = (err ?? {}) as MyLikeError;
  const f = `--${s.role}-db`;
  const where = `${s.host}:${s.port}`;
  const msg = e.message ?? String(err);
  const network = socketError(e.code, s, err);
  if (network) return network;
  switch (e.code) {
    case 'ER_ACCESS_DENIED_ERROR':
      return new DbError('auth', `access denied for user '${s.user}' on ${where} (wrong password, or the user may not connect from this host)`, `check ${f}-password (or ${s.role.toUpperCase()}_DB_PASSWORD) and the user's host part`, e.code, err);
    case 'ER_DBACCESS_DENIED_ERROR':
      return new DbError('privilege', `user '${s.user}' may not use database '${s.database}' on ${where}`, `GRANT SELECT ON \`${s.database}\`.* TO '${s.user}'@'%' (see docs/prepare-databases.md)`, e.code, err);
    case 'ER_BAD_DB_ERROR':
      return new DbError('not-found', `database '${s.database}' does not exist on ${where}`, `check ${f}-name`, e.code, err);
    case 'ER_CON_COUNT_ERROR':
      return new DbError('connect', `the ${s.role} server at ${where} has no free connection slots`, 'raise max_connections or lower --parallel-jobs', e.code, err);
    case 'ER_HOST_NOT_PRIVILEGED':
      return new DbError('auth', `the ${s.role} server at ${where} does not let '${s.user}' connect from this host`, `create the user for this host ('${s.user}'@'%') or connect from an allowed one`, e.code, err);
    case 'HANDSHAKE_NO_SSL_SUPPORT':
      return new DbError('connect', `the ${s.role} server at ${where} does not accept SSL, but --${s.role}-ssl-mode is ${s.sslMode}`, `enable TLS on the server (ssl_cert/ssl_key), or use --${s.role}-ssl-mode prefer or disable`, e.code, err);
  }
  if (/self[- ]signed certificate|unable to verify|unable to get (local )?issuer/i.test(msg)) {
    return new DbError('connect', `the ${s.role} server's certificate cannot be verified (${msg})`, `pass the CA that signed it with --${s.role}-ssl-root-cert, or use --${s.role}-ssl-mode require`, undefined, err);
  }
  return new DbError('connect', `cannot connect to the ${s.role} database at ${where}: ${msg}`, `check the ${f}-* and --${s.role}-ssl-* flags`, e.code, err);
}

/** Errors from a statement (not the connection). */
export function mapQueryError(err: unknown, what: string): DbError {
  if (err instanceof DbError) return err;
  const e = (err ?? {}) as MyLikeError;
  const msg = e.message ?? String(err);
  if (e.errno !== undefined && PRIVILEGE_ERRNOS.has(e.errno)) {
    return new DbError('privilege', `${what}: ${msg}`, 'grant the missing privilege to the migration user (see docs/prepare-databases.md, MySQL/MariaDB)', e.code, err);
  }
  if (e.errno === 1146 || e.errno === 1049) return new DbError('not-found', `${what}: ${msg}`, 'check the database and table names given', e.code, err);
  if (isConnectionLoss(err)) return new DbError('connect', `${what}: lost the connection (${msg})`, 'rerun the command; it resumes where it stopped', e.code, err);
  return new DbError('data', `${what}: ${msg}`, 'see the log file for the statement; fix the cause and rerun', e.code, err);
}

const LOSS_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
  'ER_QUERY_INTERRUPTED',
  'PROTOCOL_SEQUENCE_TIMEOUT',
]);
// 1053 server shutdown, 1927 connection killed, 2006 gone away, 2013 lost during query.
const LOSS_ERRNOS = new Set([1053, 1927, 2006, 2013]);

/** Connection-level failures: the session (and its transaction) is gone; reconnect and resume from what is durable. */
export function isConnectionLoss(e: unknown): boolean {
  if (e instanceof DbError) return e.kind === 'connect' || (e.cause !== undefined && e.cause !== e && isConnectionLoss(e.cause));
  const x = (e ?? {}) as MyLikeError;
  if (x.code && LOSS_CODES.has(x.code)) return true;
  if (x.errno !== undefined && LOSS_ERRNOS.has(x.errno)) return true;
  return /Connection lost|closed state|server has gone away|Can't add new command when connection is in closed state/i.test(String(x.message));
}

/** A connection loss, a deadlock (1213) or a lock wait timeout (1205): the same transaction may pass when run again. */
export function isTransient(e: unknown): boolean {
  if (isConnectionLoss(e)) return true;
  const x = (e instanceof DbError ? e.cause : e) as MyLikeError | undefined;
  return x?.errno === 1213 || x?.errno === 1205;
}
