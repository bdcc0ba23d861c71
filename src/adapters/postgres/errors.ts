/**
 * PostgreSQL and socket errors → DbError with a neutral kind and a hint naming the fix. Messages name
 * hosts, users and databases but never a password.
 */
import { socketError } from '../../infra/connect-errors.js';
import { DbError } from '../../infra/errors.js';
import type { ConnSettings } from '../../core/connection.js';

interface PgLikeError {
  code?: string;
  message?: string;
  routine?: string;
  detail?: string;
}

export function mapConnectError(err: unknown, s: ConnSettings): DbError {
  if (err instanceof DbError) return err;
  const e = (err ?? {}) as PgLikeError & NodeJS.ErrnoException;
  const f = `--${s.role}-db`;
  const where = `${s.host}:${s.port}`;
  const msg = e.message ?? String(err);
  const network = socketError(e.code, s, err);
  if (network) return network;
  switch (e.code) {
    case '28P01':
      return new DbError('auth', `password authentication failed for user '${s.user}' on ${where}`, `check ${f}-password (or ${s.role.toUpperCase()}_DB_PASSWORD)`, e.code, err);
    case '28000':
      if (/no pg_hba\.conf entry/.test(msg)) {
        return new DbError('auth', `the ${s.role} server refused user '${s.user}' (no pg_hba.conf entry for this host/user/database${/SSL off|no encryption/.test(msg) ? ' without SSL' : ''})`, `add a matching host line to pg_hba.conf and reload the server, or use ${f.replace('-db', '-ssl')}-mode require`, e.code, err);
      }
      return new DbError('auth', `the ${s.role} server refused user '${s.user}': ${msg}`, `check ${f}-user and the role's LOGIN attribute`, e.code, err);
    case '3D000':
      return new DbError('not-found', `database '${s.database}' does not exist on ${where}`, `check ${f}-name, or create the database first`, e.code, err);
    case '42501':
      return new DbError('privilege', `permission denied for user '${s.user}' on ${where}: ${msg}`, `grant the missing privilege to '${s.user}' (see docs/prepare-databases.md)`, e.code, err);
    case '53300':
      return new DbError('connect', `the ${s.role} server at ${where} has no free connection slots`, 'raise max_connections or lower --parallel-jobs', e.code, err);
    case 'ECONNRESET':
      return new DbError('connect', `the ${s.role} server at ${where} closed the connection`, 'check the server log; the server may require or refuse SSL', e.code, err);
  }
  const ssl = `--${s.role}-ssl`;
  if (/does not support SSL/i.test(msg)) {
    return new DbError('connect', `the ${s.role} server at ${where} does not accept SSL, but ${ssl}-mode is ${s.sslMode}`, `enable ssl on the server, or use ${ssl}-mode prefer or disable`, undefined, err);
  }
  if (/self[- ]signed certificate|unable to verify|unable to get (local )?issuer/i.test(msg)) {
    return new DbError('connect', `the ${s.role} server's certificate cannot be verified (${msg})`, `pass the CA that signed it with ${ssl}-root-cert, or use ${ssl}-mode require to encrypt without verifying`, undefined, err);
  }
  if (/Hostname\/IP does not match|altnames/i.test(msg)) {
    return new DbError('connect', `the ${s.role} server's certificate does not name host '${s.host}'`, `connect with the host name in the certificate, or use ${ssl}-mode verify-ca`, undefined, err);
  }
  if (/ENOENT.*(cert|key|pem|crt)|no such file/i.test(msg)) {
    return new DbError('connect', `cannot read an SSL file for the ${s.role} connection: ${msg}`, `check the ${ssl}-root-cert, ${ssl}-cert and ${ssl}-key paths`, undefined, err);
  }
  return new DbError('connect', `cannot connect to the ${s.role} database at ${where}: ${msg}`, `check the ${f}-* and ${ssl}-* flags`, e.code, err);
}

/** Errors from a statement (not the connection). Keeps SQLSTATE; never includes row data beyond PG's own message. */
export function mapQueryError(err: unknown, what: string): DbError {
  const e = (err ?? {}) as PgLikeError;
  const msg = e.message ?? String(err);
  if (e.code === '42501') return new DbError('privilege', `${what}: ${msg}`, 'grant the missing privilege to the migration user (see docs/prepare-databases.md)', e.code, err);
  if (e.code === '3F000') return new DbError('not-found', `${what}: ${msg}`, 'check the schema names given with --*-db-schema', e.code, err);
  if (e.code === '42P01') return new DbError('not-found', `${what}: ${msg}`, 'check that the table exists (was import schema run?)', e.code, err);
  if (e.code && /^(08|57P)/.test(e.code)) return new DbError('connect', `${what}: lost the connection (${msg})`, 'rerun the command; it resumes where it stopped', e.code, err);
  return new DbError('data', `${what}: ${msg}`, 'see the log file for the statement; fix the cause and rerun', e.code, err);
}

/** Connection-level failures: the session (and its transaction) is gone; reconnect and resume from what is durable. */
export function isConnectionLoss(e: unknown): boolean {
  if (e instanceof DbError) return e.kind === 'connect' || (e.cause !== undefined && e.cause !== e && isConnectionLoss(e.cause));
  const code = (e as { code?: string })?.code ?? '';
  if (/^(08|57P)/.test(code)) return true;
  return (
    ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'].includes(code) ||
    /Connection terminated|not queryable|connection error|terminating connection/i.test(String((e as Error)?.message))
  );
}

/** A connection loss, or a serialization failure / deadlock: the same transaction may pass when run again. */
export function isTransient(e: unknown): boolean {
  if (isConnectionLoss(e)) return true;
  const code = (e instanceof DbError ? e.sqlState : (e as { code?: string })?.code) ?? '';
  return code === '40001' || code === '40P01';
}
